/* number.h: strict parsing of numbers from the command line and files.
 *
 * In strtonum's spirit: the whole string must be the number (no leading
 * space, no trailing junk), it must lie in range, and overflow is an
 * error. Parsing never depends on the locale.
 *
 * Every number a user gives goes through these: option values (through
 * cli_u64(), cli_size() and cli_double() of cli.h), synth-mix's
 * SOURCE:WEIGHT operands and the penalty weights of a --rules file.
 * strtod() and its kin read hex, "inf", leading space and stop at junk;
 * they are for numbers synth wrote itself, or a server's.
 */
#ifndef SYNTH_NUMBER_H
#define SYNTH_NUMBER_H

#include <stdint.h>

/* A decimal unsigned integer in [min, max]. Returns 0, or -1 when s is
 * not one. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A size: an unsigned integer with an optional suffix K, M, G or T
 * (powers of 1024; "KB", "KiB" and lower case are accepted too). */
int parse_size(const char *s, uint64_t *out);

/* A finite decimal number in [min, max] ("0.8", "1e-3"). */
int parse_double(const char *s, double min, double max, double *out);

#endif
