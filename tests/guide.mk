# tests/guide.mk: docs/GUIDE.md walked literally (tests/regress/guide-walk.sh).
# In make check it lays the built binaries over their packaged paths inside
# its own namespaces; packaging/ci-deb.sh runs it again against the
# installed .deb (GUIDE_WALK_INSTALLED=1).
TESTS += tests/regress/guide-walk.sh
EXTRA_DIST += tests/regress/guide-walk.sh
