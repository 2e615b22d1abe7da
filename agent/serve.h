/*
 * `cutover-agent serve`: the agent side of the wire protocol
 * (proto/PROTOCOL) over a pair of file descriptors.
 *
 *	struct serve_opts o = { .config = "/etc/cutover/agent.ini", .wait = 0,
 *	    .idle_timeout = 60 };
 *	rc = serve_run(infd, outfd, &o);	// returns at EOF or a fatal error
 *
 * One poll loop over the two descriptors with a bounded input buffer (the
 * frame reader) and a bounded output queue, shaped like OpenSSH's
 * sftp-server: input is read only while the output queue can take a
 * worst-case reply; a frame is handled only once complete; anything before
 * HELLO, any malformed or out-of-order frame ends the session with one
 * ERROR frame and a line on stderr.
 *
 * Requests run one at a time through a handler table that calls the
 * ops.h functions, with a sink that turns events and records into EVENT
 * and RECORD frames. install/deploy read the archive from DATA frames as a
 * byte_source, so unpacking streams while the upload arrives.
 *
 * Returns the process exit code: 0 after a clean EOF between requests,
 * else cut_exit_code() of what ended the session.
 */
#ifndef CUT_SERVE_H
#define CUT_SERVE_H

struct serve_opts {
	const char *config;	/* agent config for named apps */
	int wait;		/* default seconds to wait for an app lock */
	/*
	 * Seconds of silence from the client between requests after which
	 * serve releases its lock and exits 0; 0 never. Sent in HELLO caps
	 * as idle=SECONDS.
	 */
	int idle_timeout;
	/*
	 * Which APPs requests may name (cutover-agent(8), serve): apps, when
	 * not NULL, is a NULL-terminated list of [app NAME]s (serve --app);
	 * a path APP only with allow_paths (serve --allow-paths). Either way
	 * a name must be configured in config.
	 */
	char **apps;
	int allow_paths;
};

int serve_run(int infd, int outfd, const struct serve_opts *o);

#endif
