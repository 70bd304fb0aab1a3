# Installation layout and the Debian package (CPack):
#   cmake --preset release && cmake --build build/release --target package
#   -> build/release/fedihost_<version>_amd64.deb
# The release preset sets FEDIHOST_PANEL (the panel is built with the binary: the
# server serves it from /usr/share/fedihost/web, it is not embedded in the binary)
# and FEDIHOST_HARDENING (Debian's hardening flags, as dpkg-buildflags gives them).
option(FEDIHOST_PANEL "Build the panel (scripts/build-panel) with the binary, for installing it" OFF)
option(FEDIHOST_SYSTEM_FILES "Install the systemd unit, /etc/fedihost and the lintian overrides (off for Nix)" ON)
option(FEDIHOST_HARDENING "Debian's hardening flags: _FORTIFY_SOURCE, stack protector, full RELRO" OFF)

if(FEDIHOST_HARDENING)
  add_compile_options(-fstack-protector-strong -Wformat -Werror=format-security)
  add_compile_definitions(_FORTIFY_SOURCE=2)
  add_link_options(-Wl,-z,relro -Wl,-z,now)
endif()

if(FEDIHOST_PANEL)
  add_custom_target(panel ALL
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/build-panel
    COMMENT "Building the panel (web/dist)"
    VERBATIM USES_TERMINAL)
endif()

# Compressed documentation, as Debian wants it (gzip -9n: no name nor time inside).
set(FEDIHOST_DIST ${PROJECT_SOURCE_DIR}/dist)
configure_file(${FEDIHOST_DIST}/debian/changelog.in ${CMAKE_BINARY_DIR}/dist/changelog @ONLY)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/dist/fedihost.1.gz ${CMAKE_BINARY_DIR}/dist/changelog.gz
  COMMAND gzip -9nc ${FEDIHOST_DIST}/fedihost.1 > ${CMAKE_BINARY_DIR}/dist/fedihost.1.gz
  COMMAND gzip -9nc ${CMAKE_BINARY_DIR}/dist/changelog > ${CMAKE_BINARY_DIR}/dist/changelog.gz
  DEPENDS ${FEDIHOST_DIST}/fedihost.1 ${CMAKE_BINARY_DIR}/dist/changelog
  COMMENT "Compressing the manual page and the changelog")
add_custom_target(dist_files ALL DEPENDS ${CMAKE_BINARY_DIR}/dist/fedihost.1.gz ${CMAKE_BINARY_DIR}/dist/changelog.gz)

include(GNUInstallDirs)
install(TARGETS fedihost RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(CODE "
  if(NOT EXISTS \"${PROJECT_SOURCE_DIR}/web/dist/index.html\")
    message(FATAL_ERROR \"the panel is not built (web/dist/index.html): run scripts/build-panel, or configure with -DFEDIHOST_PANEL=ON\")
  endif()")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/dist/ DESTINATION ${CMAKE_INSTALL_DATADIR}/fedihost/web
  PATTERN ".built" EXCLUDE)
# The NixOS modules (of the machines fedihost manages, and of fedihost itself), without their tests.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/nix/ DESTINATION ${CMAKE_INSTALL_DATADIR}/fedihost/nix
  PATTERN "tests" EXCLUDE)
if(FEDIHOST_SYSTEM_FILES)
  install(FILES ${FEDIHOST_DIST}/fedihost.service DESTINATION /lib/systemd/system)
  install(FILES ${FEDIHOST_DIST}/fedihost.toml DESTINATION /etc/fedihost)
  install(FILES ${FEDIHOST_DIST}/debian/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
    RENAME fedihost)
endif()
install(FILES ${CMAKE_BINARY_DIR}/dist/fedihost.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_BINARY_DIR}/dist/changelog.gz ${FEDIHOST_DIST}/debian/copyright
  ${PROJECT_SOURCE_DIR}/docs/install.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fedihost)
set(CPACK_PACKAGE_VENDOR "fedihost maintainers")
set(CPACK_PACKAGE_CONTACT "fedihost maintainers <maintainers@users.noreply.r-seed-1c28ec78.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "control plane for hosting Fediverse apps")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; CPack indents these lines and writes " ." for the empty one.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "fedihost deploys Fediverse and collaboration apps (Mastodon, PeerTube,
Nextcloud and others) for many customer organisations onto machines, DNS,
databases, object storage and mail, and serves a web panel and an HTTP API.

This package runs it as the systemd service fedihost.service, under its own
system user, with its data in /var/lib/fedihost.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://fedihost.example")
# Shared libraries' packages from dpkg-shlibdeps; adduser and deb-systemd-helper for the maintainer scripts.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# What providers run as programs: pg_dump/pg_restore for backups of PostgreSQL databases, ssh for
# NixOS delivery; the lxc machine provider's tools only where a target uses it.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql-client, openssh-client")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "lxc, debootstrap, iproute2")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${FEDIHOST_DIST}/debian/postinst ${FEDIHOST_DIST}/debian/prerm ${FEDIHOST_DIST}/debian/postrm
  ${FEDIHOST_DIST}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/;/node_modules/")
include(CPack)
