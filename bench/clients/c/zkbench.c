/*
 * zkbench.c: the benchmark worker for the ZooKeeper C client (libzookeeper_mt).
 *
 * Usage: zkbench-c HOST:PORT
 *
 * It speaks the worker protocol of bench/internal/workload: one command per
 * line on stdin (space-separated key=value pairs), one JSON result per line
 * on stdout. Each run connects a new session, runs the warm-up, then the
 * measured run, and closes the session. Concurrency uses the client's
 * asynchronous API: a completion issues the next request, so that
 * `inflight` requests stay outstanding on the one connection. CPU is the
 * process's getrusage(RUSAGE_SELF) delta over the measured run (every thread
 * of the client counts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zookeeper/zookeeper.h>
#include <zookeeper/zookeeper_version.h>

#define SESSION_TIMEOUT_MS 10000
#define EVENT_WAIT_S 120

struct command {
	char cmd[16];
	char workload[32];
	long ops, warmup, inflight, wcount, wbatch;
	double timeout;
	char path[512], prefix[512], wroot[512];
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* cpu_times returns the process's CPU seconds and context switches (every
 * thread's: RUSAGE_SELF sums them on Linux). */
static void cpu_times(double *user, double *sys, long *csw)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	*csw = ru.ru_nvcsw + ru.ru_nivcsw;
}

/* ---- session */

struct session {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int connected;
};

static void global_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct session *s = ctx;
	(void)zh;
	(void)path;
	if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
		pthread_mutex_lock(&s->mu);
		s->connected = 1;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->mu);
	}
}

static zhandle_t *connect_zk(const char *addr, struct session *s)
{
	struct timespec until;
	zhandle_t *zh;

	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->connected = 0;
	zh = zookeeper_init(addr, global_watcher, SESSION_TIMEOUT_MS, NULL, s, 0);
	if (zh == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&s->mu);
	while (!s->connected) {
		if (pthread_cond_timedwait(&s->cond, &s->mu, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	if (!s->connected) {
		zookeeper_close(zh);
		return NULL;
	}
	return zh;
}

/* ---- pipelines: the state shared by a run's completions */

struct pipe {
	zhandle_t *zh;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	long limit;   /* reads: requests to issue; createdelete: creates */
	long issued;  /* requests (reads) or creates issued */
	long pending; /* requests outstanding */
	long done;    /* operations completed */
	long events;  /* watches: NodeDataChanged events received */
	int rc;       /* first error */
	int64_t deadline;
	const char *path;
	char **paths; /* watches: the nodes, issued in order */
};

static void pipe_init(struct pipe *p, zhandle_t *zh, long limit, int64_t deadline)
{
	memset(p, 0, sizeof *p);
	p->zh = zh;
	p->limit = limit;
	p->deadline = deadline;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cond, NULL);
}

static void pipe_wait(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->pending > 0)
		pthread_cond_wait(&p->cond, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static int expired(struct pipe *p) { return now_ns() >= p->deadline; }

/* fail records rc, drops one pending request, wakes the waiter. Called
 * with p->mu held. */
static void fail_locked(struct pipe *p, int rc)
{
	if (p->rc == ZOK)
		p->rc = rc;
	p->pending--;
	pthread_cond_broadcast(&p->cond);
}

/* ---- reads (and setting watches: the same loop with a watcher) */

static void read_done(int rc, const char *value, int len, const struct Stat *stat, const void *data);
static void watch_fired(zhandle_t *zh, int type, int state, const char *path, void *ctx);

/* issue_read sends request number i. Called without p->mu. */
static void issue_read(struct pipe *p, long i)
{
	int rc;
	if (p->paths != NULL)
		rc = zoo_awget(p->zh, p->paths[i], watch_fired, p, read_done, p);
	else
		rc = zoo_aget(p->zh, p->path, 0, read_done, p);
	if (rc != ZOK) {
		pthread_mutex_lock(&p->mu);
		fail_locked(p, rc);
		pthread_mutex_unlock(&p->mu);
	}
}

static void read_done(int rc, const char *value, int len, const struct Stat *stat, const void *data)
{
	struct pipe *p = (struct pipe *)data;
	long next = -1;
	(void)value;
	(void)len;
	(void)stat;
	pthread_mutex_lock(&p->mu);
	if (rc != ZOK) {
		fail_locked(p, rc);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->done++;
	if (p->rc == ZOK && p->issued < p->limit && (p->paths != NULL || !expired(p))) {
		next = p->issued++;
	} else {
		p->pending--;
		if (p->pending == 0)
			pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mu);
	if (next >= 0)
		issue_read(p, next);
}

static void watch_fired(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct pipe *p = ctx;
	(void)zh;
	(void)state;
	(void)path;
	if (type != ZOO_CHANGED_EVENT)
		return;
	pthread_mutex_lock(&p->mu);
	p->events++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
}

/* run_pipe starts min(inflight, limit) requests with issue (their
 * completions issue the rest) and waits until none is pending. */
static int run_pipe(struct pipe *p, long inflight, void (*issue)(struct pipe *, long))
{
	long first = inflight < p->limit ? inflight : p->limit, i;
	pthread_mutex_lock(&p->mu);
	p->issued = first;
	p->pending = first;
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < first; i++)
		issue(p, i);
	pipe_wait(p);
	return p->rc;
}

static int run_reads(struct pipe *p, long inflight) { return run_pipe(p, inflight, issue_read); }

/* ---- create + delete */

static void created(int rc, const char *value, const void *data);
static void deleted(int rc, const void *data);

/* issue_create sends a create; i (the request's number) is unused. */
static void issue_create(struct pipe *p, long i)
{
	(void)i;
	int rc = zoo_acreate(p->zh, p->path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL, created, p);
	if (rc != ZOK) {
		pthread_mutex_lock(&p->mu);
		fail_locked(p, rc);
		pthread_mutex_unlock(&p->mu);
	}
}

static void created(int rc, const char *value, const void *data)
{
	struct pipe *p = (struct pipe *)data;
	pthread_mutex_lock(&p->mu);
	if (rc != ZOK) {
		fail_locked(p, rc);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->done++;
	pthread_mutex_unlock(&p->mu);
	/* Every created node is deleted: the request stays pending. */
	rc = zoo_adelete(p->zh, value, -1, deleted, p);
	if (rc != ZOK) {
		pthread_mutex_lock(&p->mu);
		fail_locked(p, rc);
		pthread_mutex_unlock(&p->mu);
	}
}

static void deleted(int rc, const void *data)
{
	struct pipe *p = (struct pipe *)data;
	int again = 0;
	pthread_mutex_lock(&p->mu);
	if (rc != ZOK) {
		fail_locked(p, rc);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->done++;
	if (p->rc == ZOK && p->issued < p->limit && !expired(p)) {
		p->issued++;
		again = 1;
	} else {
		p->pending--;
		if (p->pending == 0)
			pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mu);
	if (again)
		issue_create(p, 0);
}

static int run_createdelete(struct pipe *p, long inflight) { return run_pipe(p, inflight, issue_create); }

/* ---- watches */

/* fire_watches changes every node with multis of at most batch setData
 * operations and waits until want events have arrived. */
static int fire_watches(struct pipe *p, long want, long batch)
{
	zoo_op_t *ops = calloc(batch, sizeof *ops);
	zoo_op_result_t *results = calloc(batch, sizeof *results);
	struct Stat *stats = calloc(batch, sizeof *stats);
	struct timespec until;
	long start, i, n;
	int rc = ZOK;

	for (start = 0; start < want && rc == ZOK; start += batch) {
		n = want - start < batch ? want - start : batch;
		for (i = 0; i < n; i++)
			zoo_set_op_init(&ops[i], p->paths[start + i], "x", 1, -1, &stats[i]);
		rc = zoo_multi(p->zh, (int)n, ops, results);
	}
	free(ops);
	free(results);
	free(stats);
	if (rc != ZOK)
		return rc;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += EVENT_WAIT_S;
	pthread_mutex_lock(&p->mu);
	while (p->events < want) {
		if (pthread_cond_timedwait(&p->cond, &p->mu, &until) == ETIMEDOUT) {
			rc = ZOPERATIONTIMEOUT;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* ---- runs */

struct result {
	long ops;
	double seconds, p50_us, p99_us, mean_us, cpu_user, cpu_sys, set_s, fire_s, csw_per_op;
	long events;
	int truncated;
	char error[256];
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double percentile_us(int64_t *sorted, long n, double q)
{
	long rank = (long)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1] / 1e3;
}

static int seqget(zhandle_t *zh, const char *path, long n, int64_t deadline, int64_t *lat, long *done)
{
	char buf[1024];
	struct Stat stat;
	long i;
	for (i = 0; i < n; i++) {
		int len = sizeof buf, rc;
		int64_t t;
		if (now_ns() >= deadline)
			break;
		t = now_ns();
		rc = zoo_get(zh, path, 0, buf, &len, &stat);
		if (rc != ZOK) {
			*done = i;
			return rc;
		}
		if (lat != NULL)
			lat[i] = now_ns() - t;
	}
	*done = i;
	return ZOK;
}

static char **watch_paths(const struct command *c)
{
	char **paths = calloc(c->wcount, sizeof *paths);
	long i;
	for (i = 0; i < c->wcount; i++) {
		if (asprintf(&paths[i], "%s/n%05ld", c->wroot, i) < 0)
			abort();
	}
	return paths;
}

/* watches_round sets watches on paths[0..n) and fires them. Watches that
 * did not fire still point at p: p must live until the session is closed. */
static int watches_round(struct pipe *p, zhandle_t *zh, char **paths, long n, long inflight, long batch,
			 int64_t deadline, double *set_s, long *events)
{
	int64_t t0 = now_ns();
	int rc;
	pipe_init(p, zh, n, deadline);
	p->paths = paths;
	rc = run_reads(p, inflight);
	*set_s = (now_ns() - t0) / 1e9;
	if (rc == ZOK)
		rc = fire_watches(p, n, batch > 0 ? batch : n);
	*events = p->events;
	return rc;
}

static void run(const char *addr, struct command *c, struct result *r)
{
	struct session sess;
	zhandle_t *zh = connect_zk(addr, &sess);
	int64_t forever = INT64_MAX, t0, t1, deadline;
	double u0, s0, u1, s1;
	long csw0, csw1;
	int64_t *lat = NULL;
	char **paths = NULL;
	struct pipe p, warm; /* live until zookeeper_close: watches point at them */
	int rc = ZOK;
	long i;

	memset(r, 0, sizeof *r);
	if (zh == NULL) {
		snprintf(r->error, sizeof r->error, "connect: no session within 30s");
		return;
	}
	/* Warm-up. */
	if (strcmp(c->workload, "seqget") == 0) {
		long done;
		rc = seqget(zh, c->path, c->warmup, forever, NULL, &done);
		lat = calloc(c->ops > 0 ? c->ops : 1, sizeof *lat);
	} else if (strcmp(c->workload, "read") == 0 && c->warmup > 0) {
		pipe_init(&p, zh, c->warmup, forever);
		p.path = c->path;
		rc = run_reads(&p, c->inflight);
	} else if (strcmp(c->workload, "createdelete") == 0 && c->warmup > 1) {
		pipe_init(&p, zh, c->warmup / 2, forever);
		p.path = c->prefix;
		rc = run_createdelete(&p, c->inflight);
	} else if (strcmp(c->workload, "watches") == 0) {
		double set_s;
		long events, w = c->warmup < c->wcount ? c->warmup : c->wcount;
		paths = watch_paths(c);
		if (w > 0)
			rc = watches_round(&warm, zh, paths, w, c->inflight, c->wbatch, forever, &set_s, &events);
	}
	if (rc != ZOK) {
		snprintf(r->error, sizeof r->error, "warm-up: %s", zerror(rc));
		goto out;
	}

	/* The measured run. */
	cpu_times(&u0, &s0, &csw0);
	t0 = now_ns();
	deadline = c->timeout > 0 ? t0 + (int64_t)(c->timeout * 1e9) : forever;
	if (strcmp(c->workload, "seqget") == 0) {
		rc = seqget(zh, c->path, c->ops, deadline, lat, &r->ops);
	} else if (strcmp(c->workload, "read") == 0) {
		pipe_init(&p, zh, c->ops, deadline);
		p.path = c->path;
		rc = run_reads(&p, c->inflight);
		r->ops = p.done;
	} else if (strcmp(c->workload, "createdelete") == 0) {
		pipe_init(&p, zh, c->ops / 2, deadline);
		p.path = c->prefix;
		rc = run_createdelete(&p, c->inflight);
		r->ops = p.done;
	} else if (strcmp(c->workload, "watches") == 0) {
		rc = watches_round(&p, zh, paths, c->wcount, c->inflight, c->wbatch, deadline, &r->set_s, &r->events);
		r->ops = r->events;
		c->ops = c->wcount;
	} else {
		snprintf(r->error, sizeof r->error, "unknown workload %s", c->workload);
		goto out;
	}
	t1 = now_ns();
	cpu_times(&u1, &s1, &csw1);
	r->seconds = (t1 - t0) / 1e9;
	r->cpu_user = u1 - u0;
	r->cpu_sys = s1 - s0;
	r->csw_per_op = r->ops > 0 ? (double)(csw1 - csw0) / r->ops : 0;
	r->truncated = r->ops < c->ops;
	if (strcmp(c->workload, "watches") == 0)
		r->fire_s = r->seconds - r->set_s;
	if (lat != NULL && r->ops > 0) {
		double sum = 0;
		qsort(lat, r->ops, sizeof *lat, cmp_i64);
		for (i = 0; i < r->ops; i++)
			sum += lat[i];
		r->p50_us = percentile_us(lat, r->ops, 0.50);
		r->p99_us = percentile_us(lat, r->ops, 0.99);
		r->mean_us = sum / r->ops / 1e3;
	}
	if (rc != ZOK)
		snprintf(r->error, sizeof r->error, "%s", zerror(rc));
out:
	zookeeper_close(zh);
	free(lat);
	if (paths != NULL) {
		for (i = 0; i < c->wcount; i++)
			free(paths[i]);
		free(paths);
	}
}

/* ---- protocol */

static void parse(char *line, struct command *c)
{
	char *save = NULL, *f;
	memset(c, 0, sizeof *c);
	for (f = strtok_r(line, " \t\r\n", &save); f != NULL; f = strtok_r(NULL, " \t\r\n", &save)) {
		char *v = strchr(f, '=');
		if (v == NULL)
			continue;
		*v++ = '\0';
#define STR(k, field) else if (strcmp(f, k) == 0) snprintf(c->field, sizeof c->field, "%s", v)
#define NUM(k, field) else if (strcmp(f, k) == 0) c->field = strtol(v, NULL, 10)
		if (0) {
		}
		STR("cmd", cmd);
		STR("workload", workload);
		STR("path", path);
		STR("prefix", prefix);
		STR("wroot", wroot);
		NUM("ops", ops);
		NUM("warmup", warmup);
		NUM("inflight", inflight);
		NUM("wcount", wcount);
		NUM("wbatch", wbatch);
		else if (strcmp(f, "timeout") == 0) c->timeout = strtod(v, NULL);
#undef STR
#undef NUM
	}
	if (c->inflight < 1)
		c->inflight = 1;
}

int main(int argc, char **argv)
{
	char line[4096];
	if (argc < 2) {
		fprintf(stderr, "usage: %s HOST:PORT\n", argv[0]);
		return 2;
	}
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	printf("{\"hello\":true,\"version\":\"%s\"}\n", ZOO_VERSION);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin) != NULL) {
		struct command c;
		struct result r;
		parse(line, &c);
		if (strcmp(c.cmd, "quit") == 0)
			break;
		if (strcmp(c.cmd, "run") != 0) {
			printf("{\"error\":\"unknown command\"}\n");
			fflush(stdout);
			continue;
		}
		run(argv[1], &c, &r);
		printf("{\"workload\":\"%s\",\"inflight\":%ld,\"ops\":%ld,\"seconds\":%.9f,\"ops_per_sec\":%.3f,"
		       "\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"csw_per_op\":%.4f,"
		       "\"allocs_per_op\":-1,\"bytes_per_op\":-1,\"set_seconds\":%.9f,\"fire_seconds\":%.9f,"
		       "\"events\":%ld,\"truncated\":%s,\"error\":\"%s\"}\n",
		       c.workload, c.inflight, r.ops, r.seconds, r.seconds > 0 ? r.ops / r.seconds : 0.0, r.p50_us,
		       r.p99_us, r.mean_us, r.cpu_user, r.cpu_sys, r.csw_per_op, r.set_s, r.fire_s, r.events,
		       r.truncated ? "true" : "false", r.error);
		fflush(stdout);
	}
	return 0;
}
