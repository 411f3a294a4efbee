#!/bin/bash
# test_bullmq6.sh: test_bullmq.sh against BullMQ 6, the current major on the
# npm registry (its Redis layout is BullMQ 5's; the bridge knows 3 to 6).
BULLMQ_VERSION=6.7.6 exec bash "$(dirname "$0")/test_bullmq.sh"
