# tests/proto.mk: owned by one area; see tests/local.mk
