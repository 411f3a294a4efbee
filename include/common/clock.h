/* clock.h: the two clocks. Wall time (ms since the epoch) for what users and the
 * wire see; monotonic time (µs) for timeouts, rates and latency. */
#ifndef WFMON_CLOCK_H
#define WFMON_CLOCK_H

#include <stdint.h>

int64_t clock_wall_ms(void);
int64_t clock_mono_us(void);

#endif
