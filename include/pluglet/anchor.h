/* SPDX-License-Identifier: MIT */
/*
 * Where a pluglet runs in a pluginized function: before it (PRE), instead
 * of its body (REPLACE) or after it (POST). Shared by the host runtime
 * (libpluglet, through <pluglet/host.h>) and the control protocol
 * (injector/), which carries the value on the wire and names it in texts.
 */
#ifndef PLUGLET_ANCHOR_H
#define PLUGLET_ANCHOR_H

#ifdef __cplusplus
extern "C" {
#endif

/* What this header declares is libpluglet's API: exported from the shared
 * library, whose own symbols are hidden by default (vm/libpluglet.map). */
#pragma GCC visibility push(default)

/* Values travel on the control channel: never renumber. */
enum pluglet_anchor {
	PLUGLET_ANCHOR_PRE = 0,
	PLUGLET_ANCHOR_REPLACE = 1,
	PLUGLET_ANCHOR_POST = 2,
	PLUGLET_ANCHOR__MAX,
};

/* "pre", "replace", "post" <-> enum; str gives "?" for other values, parse
 * returns -EINVAL for other names. */
const char *pluglet_anchor_str(enum pluglet_anchor a);
int pluglet_anchor_parse(const char *s);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* PLUGLET_ANCHOR_H */
