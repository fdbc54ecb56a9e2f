#!/bin/sh
# The NULL contract of `struct berr **err` (docs/errors.md): every function accepts err == NULL,
# so nothing outside libcontainer/error.[ch] reads or writes through it; it uses berr_errcode(),
# berr_message(), berr_move(), berr_set_exit_status() or berr_sink(). This fails on any
# `*err`, `(*err)->`, `e->code` or `e->msg` (of a local error) left in the sources.
# Usage: scripts/check-berr.sh [SOURCE_ROOT]
cd "${1:-$(dirname "$0")/..}" || exit 2
bad=$(grep -nE '(^|[^*])\*err\b|\b(e|err|eof|se|re)->(code|msg|exit_status)\b' \
        libcontainer/*.c libcontainer/cgroup/*.c src/*.c |
      grep -vE '^libcontainer/error\.c:|^[^:]+:[0-9]+: *(\*|/\*|//)|struct berr \*err( = NULL|[,)])|\b(e|err) (&&|\?) (e|err)->|cli_fail\(struct berr \*err\)')
if [ -n "$bad" ]; then
  echo "error pointers used directly (use the helpers of libcontainer/error.h):"
  echo "$bad"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "1 passed, 0 failed"
