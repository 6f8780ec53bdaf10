// The constructor behind package nsenter; see nsenter.go for the protocol.
// It runs before the Go runtime exists: plain C, no allocation beyond the
// stack, and every failure reported to the parent as one JSON line.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define MAX_ITEMS 64

static int errfd = 2;

static void write_all(int fd, const char *buf, size_t len) {
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

// fail reports "nsenter: <message>: <strerror>" as a JSON line and exits.
static void fail(const char *fmt, ...) {
	int saved = errno;
	char msg[1024], line[2300];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	size_t len = strlen(msg);
	if (saved != 0)
		snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(saved));

	size_t o = 0;
	const char *head = "{\"type\":\"error\",\"msg\":\"nsenter: ";
	memcpy(line, head, strlen(head));
	o = strlen(head);
	for (const char *p = msg; *p && o < sizeof(line) - 8; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			line[o++] = '\\';
			line[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(line + o, 7, "\\u%04x", c);
		} else {
			line[o++] = (char)c;
		}
	}
	memcpy(line + o, "\"}\n", 3);
	o += 3;
	write_all(errfd, line, o);
	_exit(1);
}

static int ns_flag(const char *type) {
	static const struct { const char *name; int flag; } types[] = {
		{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS}, {"net", CLONE_NEWNET},
		{"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS}, {"pid", CLONE_NEWPID},
		{"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			return types[i].flag;
	return 0;
}

struct join {
	char *type;
	char *path;
	int flag;
	int fd;
};

static void join_cgroup(const char *file) {
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open %s", file);
	if (write(fd, "0", 1) != 1)
		fail("join cgroup %s", file);
	close(fd);
}

// new_time_namespace creates a time namespace, sets its offsets while no
// process is in it yet, and enters it.
static void new_time_namespace(char **offsets, int n) {
	if (unshare(CLONE_NEWTIME) < 0)
		fail("unshare time namespace");
	if (n > 0) {
		int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			fail("open /proc/self/timens_offsets");
		for (int i = 0; i < n; i++) {
			size_t len = strlen(offsets[i]);
			if (write(fd, offsets[i], len) != (ssize_t)len)
				fail("write time offset \"%s\"", offsets[i]);
		}
		close(fd);
	}
	int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open /proc/self/ns/time_for_children");
	if (setns(fd, CLONE_NEWTIME) < 0)
		fail("enter new time namespace");
	close(fd);
}

static void become_root(void) {
	if (setresgid(0, 0, 0) < 0)
		fail("setresgid 0 in joined user namespace");
	if (setresuid(0, 0, 0) < 0)
		fail("setresuid 0 in joined user namespace");
}

void berth_nsenter(void) {
	const char *env = getenv("_BERTH_NSENTER");
	if (env == NULL || *env == '\0')
		return;

	size_t envlen = strlen(env);
	char *buf = malloc(envlen + 1);
	if (buf == NULL)
		fail("allocate plan");
	memcpy(buf, env, envlen + 1);

	char *cgroups[MAX_ITEMS], *offsets[MAX_ITEMS];
	struct join joins[MAX_ITEMS];
	int ncg = 0, njoin = 0, noff = 0, time_new = 0;
	long unshare_flags = 0;

	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind = line[0];
		char *arg = line + 1;
		switch (kind) {
		case 'e':
			errfd = atoi(arg);
			break;
		case 'c':
			if (ncg == MAX_ITEMS)
				fail("too many cgroup files");
			cgroups[ncg++] = arg;
			break;
		case 'n': {
			char *colon = strchr(arg, ':');
			if (colon == NULL || njoin == MAX_ITEMS)
				fail("bad namespace entry \"%s\"", arg);
			*colon = '\0';
			joins[njoin].type = arg;
			joins[njoin].path = colon + 1;
			joins[njoin].flag = ns_flag(arg);
			if (joins[njoin].flag == 0)
				fail("unknown namespace type \"%s\"", arg);
			njoin++;
			break;
		}
		case 'u':
			unshare_flags = strtol(arg, NULL, 10);
			break;
		case 't': {
			if (noff == MAX_ITEMS)
				fail("too many time offsets");
			// Each offset line keeps its newline for timens_offsets.
			size_t l = strlen(arg);
			char *o = malloc(l + 2);
			if (o == NULL)
				fail("allocate time offset");
			memcpy(o, arg, l);
			o[l] = '\n';
			o[l + 1] = '\0';
			offsets[noff++] = o;
			time_new = 1;
			break;
		}
		default:
			fail("unknown plan entry \"%s\"", line);
		}
	}
	if (unshare_flags & CLONE_NEWTIME) {
		time_new = 1;
		unshare_flags &= ~CLONE_NEWTIME;
	}

	for (int i = 0; i < ncg; i++)
		join_cgroup(cgroups[i]);

	// Open every namespace first: after joining a mount namespace the
	// paths would resolve somewhere else.
	for (int i = 0; i < njoin; i++) {
		joins[i].fd = open(joins[i].path, O_RDONLY | O_CLOEXEC);
		if (joins[i].fd < 0)
			fail("open %s namespace %s", joins[i].type, joins[i].path);
	}
	// The user namespace comes first: it grants the capabilities to join
	// and create the others.
	for (int i = 0; i < njoin; i++) {
		if (joins[i].flag != CLONE_NEWUSER)
			continue;
		if (setns(joins[i].fd, CLONE_NEWUSER) < 0)
			fail("join user namespace %s", joins[i].path);
		become_root();
	}
	if (unshare_flags != 0 && unshare(unshare_flags) < 0)
		fail("unshare namespaces 0x%lx", unshare_flags);
	if (time_new)
		new_time_namespace(offsets, noff);
	for (int i = 0; i < njoin; i++) {
		if (joins[i].flag == CLONE_NEWUSER)
			continue;
		// setns checks the type: a path of another kind fails with EINVAL.
		if (setns(joins[i].fd, joins[i].flag) < 0)
			fail("join %s namespace %s", joins[i].type, joins[i].path);
		close(joins[i].fd);
	}
	free(buf);
}
