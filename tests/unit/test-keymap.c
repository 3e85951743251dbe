/* test-keymap.c: the map of 64-bit keys: insertion, replacement, key 0,
 * growth, absent keys. */
#include <stdint.h>

#include "hash.h"
#include "keymap.h"
#include "unit.h"

int main(void)
{
	struct keymap m = KEYMAP_INIT;
	uint64_t v = 7;
	ok(!keymap_get(&m, 42, &v) && v == 7, "an empty map holds nothing");
	ok(keymap_put(&m, 42, 1) == 1, "a new key");
	ok(keymap_put(&m, 42, 2) == 0, "the same key again replaces");
	ok(keymap_get(&m, 42, &v) && v == 2, "with the new value");
	ok(!keymap_get(&m, 0, NULL), "key 0 is not there yet");
	ok(keymap_put(&m, 0, 5) == 1 && keymap_get(&m, 0, &v) && v == 5, "key 0 is a key like any");
	ok(keymap_count(&m) == 2, "two keys");

	/* Enough keys to grow the table many times; hashes and their
	 * neighbours, so that slots collide. */
	int all = 1;
	for (uint64_t i = 1; i <= 100000; i++)
		all &= keymap_put(&m, mix64(i), i);
	ok(all, "100000 keys are new");
	ok(keymap_count(&m) == 100002, "100002 keys held");
	int found = 1, absent = 1;
	for (uint64_t i = 1; i <= 100000; i++) {
		found &= keymap_get(&m, mix64(i), &v) && v == i;
		absent &= !keymap_get(&m, mix64(i + 100000), NULL);
	}
	ok(found, "each key has its value");
	ok(absent, "keys never put are absent");
	ok(keymap_get(&m, 42, &v) && v == 2 && keymap_get(&m, 0, &v) && v == 5,
	   "the first keys survived the growth");
	keymap_release(&m);
	ok(!keymap_get(&m, 42, NULL) && keymap_count(&m) == 0, "a released map is empty");
	ok(keymap_put(&m, 9, 9) == 1, "and can be used again");
	keymap_release(&m);
	return done_testing();
}
