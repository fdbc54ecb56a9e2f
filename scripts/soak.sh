#!/bin/bash
# The manual soak: 1,000 sequential `berth run`s (RUNS=N to change), then the check that the
# mount table, the berth cgroups, fds, zombies and --root are what they were before. It is
# test_faults.py::test_200_sequential_runs_leave_host_unchanged with a bigger count.
#
#   scripts/soak.sh [RUNS]          BERTH=/abs/path/berth picks the binary
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000}
export BERTH=${BERTH:-$PWD/build/src/berth}
export BERTH_SOAK_RUNS=$RUNS
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    "tests/oci-conformance/test_faults.py::test_200_sequential_runs_leave_host_unchanged"
