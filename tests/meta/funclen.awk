# Lengths of the C functions defined at file scope, for test-function-length.sh.
# Prints "file:line: N lines: name" for each function longer than MAX lines
# (counted from the line of its name to its closing brace), except the
# "file:name" pairs listed, space-separated, in ALLOW.
#
# It reads C the way a compiler's first pass would, not line patterns:
# comments, strings and character literals are skipped, preprocessor lines
# (with their continuations) are ignored, braces are counted. A '{' at file
# scope opens a function when the text since the last ';' or '}' at file scope
# holds a parenthesised parameter list and no '=' outside parentheses (an
# initializer). Signatures may span lines, the name may sit on its own line,
# and old-style (K&R) parameter declarations between ')' and '{' are kept.
#
#   awk -v MAX=120 -v ALLOW="vm/interp.c:interp_exec" -f funclen.awk FILE...

BEGIN {
	if (MAX == "")
		MAX = 120
	nallow = split(ALLOW, allow_list, " ")
	# Words followed by '(' that do not name the function being defined.
	nw = split("__attribute__ __attribute __declspec _Alignas alignas __asm__ __asm asm " \
		   "SEC __section typeof __typeof__ __typeof _Atomic sizeof return " \
		   "int char void long short unsigned signed float double bool _Bool " \
		   "const volatile static inline __inline__ __inline extern register " \
		   "struct union enum", words, " ")
	for (i = 1; i <= nw; i++)
		not_name[words[i]] = 1
}

FNR == 1 {
	depth = 0; in_comment = 0; in_pp = 0; in_func = 0
	reset_decl()
}

function reset_decl() {
	decl = ""; name_line = 0
}

# Position of the '(' that opens the parameter list in s: the first '(' at
# parenthesis depth 0 preceded by a word that is not in not_name (0 if none).
function params_at(s,    i, c, d, w, j) {
	d = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "(") {
			if (d == 0) {
				w = word_before(s, i)
				if (w != "" && !(w in not_name))
					return i
			}
			d++
		} else if (c == ")" && d > 0) {
			d--
		}
	}
	return 0
}

function word_before(s, i,    j) {
	j = i - 1
	while (j > 0 && substr(s, j, 1) ~ /[ \t]/)
		j--
	i = j
	while (j > 0 && substr(s, j, 1) ~ /[A-Za-z0-9_]/)
		j--
	return substr(s, j + 1, i - j)
}

# Index of the ')' that closes the '(' at position p of s.
function close_of(s, p,    i, c, d) {
	d = 0
	for (i = p; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "(")
			d++
		else if (c == ")" && --d == 0)
			return i
	}
	return 0
}

function has_top_level_assign(s,    i, c, d) {
	d = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "(" || c == "[")
			d++
		else if ((c == ")" || c == "]") && d > 0)
			d--
		else if (c == "=" && d == 0)
			return 1
	}
	return 0
}

function is_function(s,    p) {
	p = params_at(s)
	return p > 0 && close_of(s, p) > 0 && !has_top_level_assign(s)
}

# "f(a, b)" followed by declarations: an old-style definition in progress.
function is_knr_head(s,    p, q, inner, rest) {
	p = params_at(s)
	if (!p || !(q = close_of(s, p)))
		return 0
	inner = substr(s, p + 1, q - p - 1)
	rest = substr(s, q + 1)
	return inner ~ /^[ \t]*[A-Za-z_][A-Za-z0-9_]*([ \t]*,[ \t]*[A-Za-z_][A-Za-z0-9_]*)*[ \t]*$/ &&
	       inner !~ /^[ \t]*void[ \t]*$/ && rest ~ /[A-Za-z_]/ && !has_top_level_assign(s)
}

function allowed(file, name,    i, n) {
	for (i = 1; i <= nallow; i++) {
		n = length(allow_list[i]) - length(name) - 1
		if (substr(allow_list[i], n + 1) == ":" name &&
		    (file == substr(allow_list[i], 1, n) ||
		     substr(file, length(file) - n) == "/" substr(allow_list[i], 1, n)))
			return 1
	}
	return 0
}

function open_brace() {
	if (depth == 0) {
		if (is_function(decl)) {
			in_func = 1
			func_name = word_before(decl, params_at(decl))
			func_line = name_line ? name_line : FNR
		}
		reset_decl()
	}
	depth++
}

function close_brace(    n) {
	if (depth == 0)
		return			# unbalanced (#if branches): ignore
	if (--depth == 0) {
		if (in_func) {
			n = FNR - func_line + 1
			if (n > MAX && !allowed(FILENAME, func_name))
				printf "%s:%d: %d lines: %s\n", FILENAME, func_line, n, func_name
			in_func = 0
		}
		reset_decl()
	}
}

# One character of code (outside comments, strings and literals).
function code_char(c) {
	if (c == "{")
		open_brace()
	else if (c == "}")
		close_brace()
	else if (depth == 0) {
		if (c == ";" && !is_knr_head(decl)) {
			reset_decl()
			return
		}
		if (decl == "" && c ~ /[ \t]/)
			return
		decl = decl c
		if (c == "(" && !name_line && params_at(decl))
			name_line = FNR
	}
}

{
	line = $0
	if (in_pp) {			# continuation of a preprocessor line
		in_pp = line ~ /\\$/
		next
	}
	if (!in_comment && line ~ /^[ \t]*#/) {
		in_pp = line ~ /\\$/
		next
	}
	n = length(line)
	for (i = 1; i <= n; i++) {
		c = substr(line, i, 1)
		if (in_comment) {
			if (c == "*" && substr(line, i + 1, 1) == "/") {
				in_comment = 0
				i++
			}
			continue
		}
		if (c == "/" && substr(line, i + 1, 1) == "*") {
			in_comment = 1
			i++
			continue
		}
		if (c == "/" && substr(line, i + 1, 1) == "/")
			break
		if (c == "\"" || c == "'") {
			# skip the literal; it stands for one word in the declarator
			for (i++; i <= n && substr(line, i, 1) != c; i++)
				if (substr(line, i, 1) == "\\")
					i++
			if (depth == 0)
				decl = decl "x"
			continue
		}
		code_char(c)
	}
	if (depth == 0 && decl != "")
		decl = decl " "
}
