# Debian package: `cpack -G DEB` in a build directory (after building loghuntd)
# writes loghunt_<version>_<arch>.deb with
#   /usr/bin/loghuntd
#   /usr/lib/systemd/system/loghuntd.service
#   /usr/lib/sysusers.d/loghunt.conf, /usr/lib/tmpfiles.d/loghunt.conf
#   /etc/loghunt/loghunt.yaml            (a conffile: local edits survive upgrades)
#   /usr/share/loghunt/                  (rules, Sigma mappings, Prometheus alerts,
#                                         Grafana dashboard, demo samples)
#   /usr/share/doc/loghunt/              (README, schema)
# postinst creates the user and directories (sysusers, tmpfiles) and reloads
# systemd; it honours $DPKG_ROOT, so `dpkg --root=DIR --force-script-chrootless`
# installs into a scratch root (tests/packaging/deb_test.sh).

# `cpack` runs the install step; it must not rebuild every test and benchmark.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

include(GNUInstallDirs)

install(TARGETS loghuntd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT loghunt)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/loghuntd.service
        DESTINATION lib/systemd/system COMPONENT loghunt)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/loghuntd.sysusers
        DESTINATION lib/sysusers.d RENAME loghunt.conf COMPONENT loghunt)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/loghuntd.tmpfiles
        DESTINATION lib/tmpfiles.d RENAME loghunt.conf COMPONENT loghunt)
install(FILES ${PROJECT_SOURCE_DIR}/conf/loghunt.yaml DESTINATION /etc/loghunt COMPONENT loghunt)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/conf/ DESTINATION ${CMAKE_INSTALL_DATADIR}/loghunt
        COMPONENT loghunt PATTERN "loghunt.yaml" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT loghunt)
if(EXISTS ${PROJECT_SOURCE_DIR}/docs/schema.md)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/schema.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
          COMPONENT loghunt)
endif()

set(CPACK_PACKAGE_NAME loghunt)
set(CPACK_PACKAGE_VENDOR loghunt)
set(CPACK_PACKAGE_CONTACT "loghunt maintainers <loghunt@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "log-stream threat-detection daemon")
set(CPACK_PACKAGE_DESCRIPTION
    "loghuntd reads auditd, syslog and Windows event streams (Kafka, files, syslog,\njournald, audisp), runs IoC, rule and clustering detectors and delivers alerts\nto stdout, files, Kafka, HTTP and syslog.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)  # debug info stays in the build tree
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the libraries loghuntd links
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/systemd/deb/conffiles
    ${PROJECT_SOURCE_DIR}/systemd/deb/postinst
    ${PROJECT_SOURCE_DIR}/systemd/deb/prerm
    ${PROJECT_SOURCE_DIR}/systemd/deb/postrm)
include(CPack)
