# X_AC_WARNINGS: strict warnings; --enable-werror (CI) makes them errors.
AC_DEFUN([X_AC_WARNINGS], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [], [enable_werror=no])
  WARN_CFLAGS="-Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wno-unused-parameter"
  AS_IF([test "x$enable_werror" = xyes], [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
  AC_SUBST([WARN_CFLAGS])
])

# X_AC_HARDENING: the flags pyxis and Debian use; the plugin shares
# slurmstepd's address space, so it gets the same protection.
AC_DEFUN([X_AC_HARDENING], [
  AC_ARG_ENABLE([hardening],
    [AS_HELP_STRING([--disable-hardening], [build without FORTIFY/stack protector/relro])],
    [], [enable_hardening=yes])
  HARDEN_CFLAGS=
  HARDEN_LDFLAGS=
  AS_IF([test "x$enable_hardening" = xyes], [
    HARDEN_CFLAGS="-fstack-protector-strong"
    HARDEN_CPPFLAGS="-D_FORTIFY_SOURCE=2"
    HARDEN_LDFLAGS="-Wl,-z,relro -Wl,-z,now"
  ])
  AC_SUBST([HARDEN_CFLAGS])
  AC_SUBST([HARDEN_CPPFLAGS])
  AC_SUBST([HARDEN_LDFLAGS])
])

# X_AC_SANITIZERS: --enable-sanitizers builds everything with ASan+UBSan.
AC_DEFUN([X_AC_SANITIZERS], [
  AC_ARG_ENABLE([sanitizers],
    [AS_HELP_STRING([--enable-sanitizers], [build with AddressSanitizer and UndefinedBehaviorSanitizer])],
    [], [enable_sanitizers=no])
  SAN_CFLAGS=
  AS_IF([test "x$enable_sanitizers" = xyes], [
    SAN_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    dnl FORTIFY and ASan do not mix well; ASan checks more anyway.
    HARDEN_CPPFLAGS=
  ])
  AC_SUBST([SAN_CFLAGS])
])
