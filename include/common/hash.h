/* hash.h: the one string hash of wfmon's tables, seeded.
 *
 * Keys of several tables are chosen by producers and clients (event ids in
 * the duplicate window, room names, execution ids): with a fixed hash they
 * could craft ids that all land in one bucket and make every lookup slow.
 * hash64 is SipHash-2-4 keyed with 128 random bits drawn once per process
 * (getrandom), so the buckets an id falls in cannot be predicted from outside,
 * and differ from one run to the next. Thread-safe. */
#ifndef WFMON_HASH_H
#define WFMON_HASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes under the process's random key. */
uint64_t hash64(const void *data, size_t len);

/* SipHash-2-4 under a given 16-byte key (for tests: reference vectors). */
uint64_t hash_siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
