# coordinator/: cutover, the fleet driver (links libssh2; the agent does not).
