# packaging/: man pages, example configs, bash completion, and the `deb` and
# `rpm` targets that build the two binary packages (cutover-agent, cutover)
# from the `make dist` tarball, so a package is built from exactly what ships.

dist_man_MANS = man/cutover.1 man/cutover-agent.8 man/cutover.ini.5 man/cutover-agent.ini.5

cutoverconfdir = $(sysconfdir)/cutover
dist_cutoverconf_DATA = conf/agent.ini.example conf/fleet.ini.example

# One completion script, installed under both command names so that
# bash-completion's on-demand loader finds it for either command.
bashcompdir = $(datadir)/bash-completion/completions
bashcomp_DATA = completion/bash/cutover completion/bash/cutover-agent
completion/bash/cutover completion/bash/cutover-agent: $(srcdir)/completion/cutover.bash
	$(AM_V_GEN)$(MKDIR_P) completion/bash && cp $(srcdir)/completion/cutover.bash $@
CLEANFILES += completion/bash/cutover completion/bash/cutover-agent

PKG_DEBIAN_FILES = \
	packaging/debian/changelog packaging/debian/control packaging/debian/copyright \
	packaging/debian/rules packaging/debian/source/format \
	packaging/debian/cutover-agent.install packaging/debian/cutover-agent.dirs \
	packaging/debian/cutover-agent.docs \
	packaging/debian/cutover.install packaging/debian/cutover.dirs packaging/debian/cutover.docs \
	packaging/debian/cutover.postrm
EXTRA_DIST += completion/cutover.bash $(PKG_DEBIAN_FILES) packaging/rpm/cutover.spec \
	packaging/ci-deb.sh packaging/ci-rpm.sh packaging/rpm/rpmlint.toml \
	packaging/authorized_keys.example docs/GUIDE.md

TESTS += tests/regress/doc-options.sh tests/regress/doc-man.sh \
	tests/regress/doc-examples.sh tests/regress/pkg-completion.sh
EXTRA_DIST += tests/regress/doc-options.sh tests/regress/doc-man.sh \
	tests/regress/doc-examples.sh tests/regress/pkg-completion.sh

# Without the coordinator (not built yet), build the agent package alone.
PKG_HAVE_COORDINATOR = case " $(bin_PROGRAMS) " in *" cutover$(EXEEXT) "*) true ;; *) false ;; esac

PKG_DEB_DIR = pkg-deb
# make deb: both .debs in $(PKG_DEB_DIR)/, checked by lintian (errors fail).
deb: dist-gzip
	@deb_version=$$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' $(srcdir)/packaging/debian/changelog); \
	if [ "$$deb_version" != "$(VERSION)" ]; then \
		echo "packaging/debian/changelog is at $$deb_version but configure.ac says $(VERSION): add a changelog entry" >&2; \
		exit 1; \
	fi
	rm -rf $(PKG_DEB_DIR) && $(MKDIR_P) $(PKG_DEB_DIR)
	tar -C $(PKG_DEB_DIR) -xzf $(distdir).tar.gz
	cp -R $(PKG_DEB_DIR)/$(distdir)/packaging/debian $(PKG_DEB_DIR)/$(distdir)/debian
	@if $(PKG_HAVE_COORDINATOR); then profiles=""; else \
		echo "deb: the coordinator is not built in this tree: building cutover-agent only" >&2; \
		profiles="-Ppkg.cutover.agent-only"; fi; \
	echo "cd $(PKG_DEB_DIR)/$(distdir) && dpkg-buildpackage -us -uc -b $$profiles"; \
	cd $(PKG_DEB_DIR)/$(distdir) && \
	DEB_BUILD_OPTIONS="nocheck $(DEB_BUILD_OPTIONS)" dpkg-buildpackage -us -uc -b $$profiles \
		> ../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; }
	@if command -v lintian >/dev/null 2>&1; then \
		echo "lintian $(PKG_DEB_DIR)/*.changes"; \
		lintian --fail-on error --info $(PKG_DEB_DIR)/*.changes; \
	else echo "deb: lintian not installed, not checked" >&2; fi
	@ls -1 $(PKG_DEB_DIR)/*.deb

PKG_RPM_DIR = pkg-rpm
# A local build's Packager tag (a build system sets its own); override with
# make rpm PKG_RPM_PACKAGER="Name <mail>".
PKG_RPM_PACKAGER = cutover local build <cutover@example.invalid>
# make rpm: both .rpms (and their -debuginfo packages, which is how rpm
# strips the binaries) under $(PKG_RPM_DIR)/RPMS. On Debian the rpm database
# knows none of the BuildRequires, so they are not checked there (--nodeps).
rpm: dist-gzip
	rm -rf $(PKG_RPM_DIR) && $(MKDIR_P) $(PKG_RPM_DIR)/SOURCES
	cp $(distdir).tar.gz $(PKG_RPM_DIR)/SOURCES/
	@nodeps=""; if [ -f /etc/debian_version ]; then nodeps="--nodeps"; fi; \
	if $(PKG_HAVE_COORDINATOR); then without=""; else \
		echo "rpm: the coordinator is not built in this tree: building cutover-agent only" >&2; \
		without="--without coordinator"; fi; \
	echo "rpmbuild -bb $$nodeps $$without packaging/rpm/cutover.spec"; \
	rpmbuild -bb $$nodeps $$without \
		--define "_topdir $(abs_builddir)/$(PKG_RPM_DIR)" \
		--define "_cutover_version $(VERSION)" \
		--define "_cutover_debug_package 1" \
		--define "packager $(PKG_RPM_PACKAGER)" \
		$(srcdir)/packaging/rpm/cutover.spec > $(PKG_RPM_DIR)/build.log 2>&1 || \
		{ tail -n 40 $(PKG_RPM_DIR)/build.log; exit 1; }
	@find $(PKG_RPM_DIR)/RPMS -name '*.rpm' | sort

clean-local: clean-local-pkg
clean-local-pkg:
	rm -rf $(PKG_DEB_DIR) $(PKG_RPM_DIR)

.PHONY: deb rpm clean-local-pkg
