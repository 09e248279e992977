# X_AC_FUZZ: a clang that links libFuzzer with ASan and UBSan, for the
# targets in fuzz/ ("make fuzz"). They are built with it whatever CC is,
# since gcc has no libFuzzer. Without one, "make fuzz" says why and
# skips; nothing else depends on it.
AC_DEFUN([X_AC_FUZZ], [
  AC_ARG_ENABLE([fuzz],
    [AS_HELP_STRING([--disable-fuzz], [do not build the libFuzzer targets (make fuzz)])],
    [], [enable_fuzz=auto])
  AC_ARG_VAR([FUZZ_CC], [C compiler with libFuzzer for make fuzz (default: clang)])
  have_fuzz=no
  fuzz_why="disabled (--disable-fuzz)"
  FUZZ_CFLAGS="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all"
  AS_IF([test "x$enable_fuzz" != xno], [
    AC_CHECK_PROGS([FUZZ_CC], [clang clang-14 clang-15 clang-16], [])
    fuzz_why="no clang (install the Debian packages clang and libclang-rt-dev)"
    AS_IF([test -n "$FUZZ_CC"], [
      AC_MSG_CHECKING([whether $FUZZ_CC links libFuzzer with ASan and UBSan])
      x_ac_fuzz_save_CC=$CC
      x_ac_fuzz_save_CFLAGS=$CFLAGS
      x_ac_fuzz_save_LDFLAGS=$LDFLAGS
      CC=$FUZZ_CC
      CFLAGS="$FUZZ_CFLAGS -fsanitize=fuzzer,address,undefined"
      LDFLAGS=
      AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return data && size ? 0 : 0; }
]])],
        [have_fuzz=yes fuzz_why=],
        [fuzz_why="$FUZZ_CC cannot link -fsanitize=fuzzer,address,undefined (install the Debian package libclang-rt-dev)"])
      CC=$x_ac_fuzz_save_CC
      CFLAGS=$x_ac_fuzz_save_CFLAGS
      LDFLAGS=$x_ac_fuzz_save_LDFLAGS
      AC_MSG_RESULT([$have_fuzz])
    ])
    AS_IF([test "x$enable_fuzz" = xyes && test "x$have_fuzz" = xno],
      [AC_MSG_ERROR([--enable-fuzz: $fuzz_why])])
  ])
  AS_IF([test "x$have_fuzz" = xno], [AC_MSG_NOTICE([libFuzzer targets skipped: $fuzz_why])])
  AC_SUBST([FUZZ_CFLAGS])
  AC_SUBST([FUZZ_WHY], [$fuzz_why])
  AM_CONDITIONAL([HAVE_FUZZ], [test "x$have_fuzz" = xyes])
])
