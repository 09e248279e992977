# X_AC_SLURM: find <slurm/spank.h> for the SPANK plugin.
# --with-slurm=DIR looks in DIR/include; the default looks in the system
# paths and builds without the plugin (with a warning) when absent.
# --with-slurm given explicitly makes a missing header an error.
AC_DEFUN([X_AC_SLURM], [
  AC_ARG_WITH([slurm],
    [AS_HELP_STRING([--with-slurm=DIR], [Slurm install prefix holding include/slurm/spank.h])],
    [], [with_slurm=check])
  AC_ARG_WITH([slurm-plugindir],
    [AS_HELP_STRING([--with-slurm-plugindir=DIR], [where Slurm loads plugins from (default: ${libdir}/slurm)])],
    [], [with_slurm_plugindir='${libdir}/slurm'])
  AC_SUBST([slurmplugindir], [$with_slurm_plugindir])
  have_slurm=no
  AS_IF([test "x$with_slurm" != xno], [
    SLURM_CPPFLAGS=
    AS_IF([test "x$with_slurm" != xcheck && test "x$with_slurm" != xyes],
      [SLURM_CPPFLAGS="-I$with_slurm/include"])
    save_CPPFLAGS=$CPPFLAGS
    CPPFLAGS="$CPPFLAGS $SLURM_CPPFLAGS"
    AC_CHECK_HEADER([slurm/spank.h], [have_slurm=yes])
    CPPFLAGS=$save_CPPFLAGS
    AS_IF([test "x$have_slurm" = xno && test "x$with_slurm" != xcheck],
      [AC_MSG_ERROR([slurm/spank.h not found under --with-slurm=$with_slurm: install the Debian package libslurm-dev])])
    AS_IF([test "x$have_slurm" = xno],
      [AC_MSG_WARN([slurm/spank.h not found: building without the SPANK plugin (install the Debian package libslurm-dev)])])
  ])
  AC_SUBST([SLURM_CPPFLAGS])
  AM_CONDITIONAL([HAVE_SLURM], [test "x$have_slurm" = xyes])
  x_ac_slurm_summary=$have_slurm
])
