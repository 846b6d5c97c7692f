// native/nfq-shaper/shaper.c — a userspace packet shaper on an NFQUEUE queue: delay with
// jitter, duplication and reordering for kernels without sch_netem.
//
// The cluster sends a node's packets to queue 0 with an iptables rule per shaped link
// (OUTPUT -d <peer> -m mark ! --mark MARK -j NFQUEUE --queue-bypass). This program, run in
// the node's network namespace, holds each packet and gives its verdict (ACCEPT) when its
// release time comes, as netem does (net/sched/sch_netem.c):
//   delay:     release = arrival + delay + uniform(-jitter, +jitter), never before arrival;
//   reorder:   with probability `reorder` a packet skips the delay and goes at once, so it
//              overtakes the packets held before it (netem's "reorder" under a delay);
//   duplicate: with probability `duplicate` a copy is sent through a raw socket when the
//              original is released; the copy carries MARK so the rule lets it pass unqueued.
// Loss and rate are not here: the cluster does them with iptables statistic and tc htb.
// Every draw comes from one seeded generator (splitmix64), so a seed picks the same choices
// for the same packet sequence.
//
// Modes:  nfq-shaper start --delay MS --jitter MS --duplicate P --reorder P --seed S --mark M
//         binds the queue, forks the shaper into the background, writes PIDFILE and exits 0
//         once it is serving (errors go to stderr with exit 1; bad flags exit 3).
//         nfq-shaper stop: SIGTERM to the shaper in PIDFILE, which releases every held packet
//         at once, prints its counters, removes PIDFILE and exits; stop waits for that.
//         Both take --state-dir DIR (default /run), where PIDFILE and the counters live: a
//         run on a shared ssh host keeps them in its own directory, so it stops only its shaper.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PIDFILE_NAME "nfq-shaper.pid"
#define STATSFILE_NAME "nfq-shaper.stats"
#define QUEUE_NUM 0
#define QUEUE_MAXLEN 65536
#define HELD_MAX 65536
#define PACKET_MAX 65536

struct options {
  double delay_ms, jitter_ms, duplicate, reorder;
  uint64_t seed;
  uint32_t mark;
};

/** held: a packet waiting for its release time; `copy` is its bytes when it is to be duplicated. */
struct held {
  uint64_t release_us;
  uint32_t id;
  unsigned char *copy;
  int copy_len;
};

static struct held heap[HELD_MAX];
static int held_count;
static struct options opt;
static uint64_t rng_state;
static int raw_fd = -1;
static char pidfile[4096] = "/run/" PIDFILE_NAME;
static char statsfile[4096] = "/run/" STATSFILE_NAME;
static volatile sig_atomic_t stopping;
static struct { uint64_t received, delayed, reordered, duplicated, released, overflow; int held_max; } stats;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/** splitmix64: the seeded generator every draw comes from. */
static uint64_t next_u64(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double next_unit(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

static void heap_push(struct held h) {
  int i = held_count++;
  heap[i] = h;
  while (i > 0 && heap[(i - 1) / 2].release_us > heap[i].release_us) {
    struct held t = heap[i]; heap[i] = heap[(i - 1) / 2]; heap[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
  if (held_count > stats.held_max) stats.held_max = held_count;
}

static struct held heap_pop(void) {
  struct held top = heap[0];
  heap[0] = heap[--held_count];
  int i = 0;
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < held_count && heap[l].release_us < heap[m].release_us) m = l;
    if (r < held_count && heap[r].release_us < heap[m].release_us) m = r;
    if (m == i) break;
    struct held t = heap[i]; heap[i] = heap[m]; heap[m] = t;
    i = m;
  }
  return top;
}

/** send_copy sends a duplicate of an IPv4 packet through the raw socket (marked, so not queued again). */
static void send_copy(const unsigned char *data, int len) {
  if (len < (int)sizeof(struct iphdr)) return;
  const struct iphdr *ip = (const struct iphdr *)data;
  struct sockaddr_in dst = { .sin_family = AF_INET, .sin_addr.s_addr = ip->daddr };
  if (sendto(raw_fd, data, (size_t)len, 0, (struct sockaddr *)&dst, sizeof dst) == len) stats.duplicated++;
}

static void release(struct nfq_q_handle *qh, struct held h) {
  nfq_set_verdict(qh, h.id, NF_ACCEPT, 0, NULL);
  stats.released++;
  if (h.copy != NULL) {
    send_copy(h.copy, h.copy_len);
    free(h.copy);
  }
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg; (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == NULL) return 0;
  struct held h = { .id = ntohl(ph->packet_id) };
  stats.received++;
  uint64_t now = now_us();
  if (opt.reorder > 0 && next_unit() < opt.reorder) {
    h.release_us = now;
    stats.reordered++;
  } else {
    double ms = opt.delay_ms + (opt.jitter_ms > 0 ? (2 * next_unit() - 1) * opt.jitter_ms : 0);
    h.release_us = now + (uint64_t)(ms > 0 ? ms * 1000 : 0);
    if (opt.delay_ms > 0) stats.delayed++;
  }
  if (opt.duplicate > 0 && next_unit() < opt.duplicate) {
    unsigned char *payload;
    int len = nfq_get_payload(nfa, &payload);
    if (len > 0 && (h.copy = malloc((size_t)len)) != NULL) {
      memcpy(h.copy, payload, (size_t)len);
      h.copy_len = len;
    }
  }
  if (held_count == HELD_MAX) {
    // Full: the packet goes now rather than being lost (this fault delays, it does not drop).
    stats.overflow++;
    release(qh, h);
  } else {
    heap_push(h);
  }
  return 0;
}

static void write_stats(FILE *f) {
  fprintf(f, "received %llu\ndelayed %llu\nreordered %llu\nduplicated %llu\nreleased %llu\noverflow %llu\nheld_max %d\n",
          (unsigned long long)stats.received, (unsigned long long)stats.delayed, (unsigned long long)stats.reordered,
          (unsigned long long)stats.duplicated, (unsigned long long)stats.released, (unsigned long long)stats.overflow, stats.held_max);
}

static void on_term(int sig) { (void)sig; stopping = 1; }

static void usage(const char *why) {
  fprintf(stderr, "nfq-shaper: %s (usage: nfq-shaper start --delay MS --jitter MS --duplicate P --reorder P --seed N --mark N [--state-dir DIR] | nfq-shaper stop [--state-dir DIR])\n", why);
  exit(3);
}

static double number_flag(const char *name, const char *v, double lo, double hi) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (errno != 0 || *end != '\0' || x < lo || x > hi) {
    fprintf(stderr, "nfq-shaper: --%s %s: expected a number from %g to %g\n", name, v, lo, hi);
    exit(3);
  }
  return x;
}

/** state_dir: where PIDFILE and the counters go. */
static void state_dir(const char *dir) {
  if ((size_t)snprintf(pidfile, sizeof pidfile, "%s/" PIDFILE_NAME, dir) >= sizeof pidfile ||
      (size_t)snprintf(statsfile, sizeof statsfile, "%s/" STATSFILE_NAME, dir) >= sizeof statsfile) usage("--state-dir is too long");
}

/** parse reads the flags after the mode; stop takes only --state-dir. */
static void parse(int argc, char **argv, int stopping_mode) {
  opt.mark = 0x5b1;
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc) usage("a flag lacks its value");
    const char *k = argv[i], *v = argv[i + 1];
    if (stopping_mode && strcmp(k, "--state-dir") != 0) usage("stop takes only --state-dir");
    if (strcmp(k, "--delay") == 0) opt.delay_ms = number_flag("delay", v, 0, 60000);
    else if (strcmp(k, "--jitter") == 0) opt.jitter_ms = number_flag("jitter", v, 0, 60000);
    else if (strcmp(k, "--duplicate") == 0) opt.duplicate = number_flag("duplicate", v, 0, 1);
    else if (strcmp(k, "--reorder") == 0) opt.reorder = number_flag("reorder", v, 0, 1);
    else if (strcmp(k, "--seed") == 0) opt.seed = (uint64_t)number_flag("seed", v, 0, 9007199254740991.0);
    else if (strcmp(k, "--mark") == 0) opt.mark = (uint32_t)number_flag("mark", v, 1, 4294967295.0);
    else if (strcmp(k, "--state-dir") == 0) state_dir(v);
    else usage("unknown flag");
  }
}

/** stop: signal the shaper and wait (up to 3 s, then SIGKILL) until it has released its packets and gone. */
static int stop(void) {
  FILE *f = fopen(pidfile, "r");
  if (f == NULL) return 0;
  int pid = 0;
  if (fscanf(f, "%d", &pid) != 1) pid = 0;
  fclose(f);
  if (pid <= 0 || kill(pid, SIGTERM) != 0) { unlink(pidfile); return 0; }
  for (int i = 0; i < 300 && access(pidfile, F_OK) == 0; i++) usleep(10000);
  if (access(pidfile, F_OK) == 0) {
    kill(pid, SIGKILL);
    unlink(pidfile);
    fprintf(stderr, "nfq-shaper: pid %d did not stop in 3 s; killed\n", pid);
    return 1;
  }
  f = fopen(statsfile, "r");
  if (f != NULL) {
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    fwrite(buf, 1, n, stdout);
    fclose(f);
  }
  return 0;
}

static void serve(struct nfq_handle *h, struct nfq_q_handle *qh) {
  int fd = nfq_fd(h);
  static char buf[PACKET_MAX + 4096] __attribute__((aligned));
  while (!stopping) {
    uint64_t now = now_us();
    while (held_count > 0 && heap[0].release_us <= now) release(qh, heap_pop());
    int timeout = held_count > 0 ? (int)((heap[0].release_us - now + 999) / 1000) : 1000;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, timeout) > 0) {
      // Read everything queued, without blocking, before releasing again.
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        nfq_handle_packet(h, buf, (int)n);
      }
    }
  }
  while (held_count > 0) release(qh, heap_pop());
}

int main(int argc, char **argv) {
  if (argc < 2) usage("expected start or stop");
  int stop_mode = strcmp(argv[1], "stop") == 0;
  if (!stop_mode && strcmp(argv[1], "start") != 0) usage("expected start or stop");
  parse(argc, argv, stop_mode);
  if (stop_mode) return stop();
  rng_state = opt.seed;
  if (access(pidfile, F_OK) == 0) { fprintf(stderr, "nfq-shaper: %s exists: a shaper already runs here (stop it first)\n", pidfile); return 1; }

  raw_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (raw_fd < 0) { perror("nfq-shaper: raw socket (needs CAP_NET_RAW)"); return 1; }
  if (setsockopt(raw_fd, SOL_SOCKET, SO_MARK, &opt.mark, sizeof opt.mark) != 0) { perror("nfq-shaper: SO_MARK (needs CAP_NET_ADMIN)"); return 1; }

  struct nfq_handle *h = nfq_open();
  if (h == NULL) { perror("nfq-shaper: nfq_open (needs nfnetlink_queue and CAP_NET_ADMIN)"); return 1; }
  struct nfq_q_handle *qh = nfq_create_queue(h, QUEUE_NUM, on_packet, NULL);
  if (qh == NULL) { perror("nfq-shaper: nfq_create_queue 0 (another program has the queue?)"); return 1; }
  if (nfq_set_mode(qh, NFQNL_COPY_PACKET, PACKET_MAX) < 0) { perror("nfq-shaper: nfq_set_mode"); return 1; }
  nfq_set_queue_maxlen(qh, QUEUE_MAXLEN);
  // Fail open: a full kernel queue passes packets rather than dropping them.
  nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int big = 8 << 20;
  setsockopt(nfq_fd(h), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);

  pid_t child = fork();
  if (child < 0) { perror("nfq-shaper: fork"); return 1; }
  if (child > 0) {
    FILE *f = fopen(pidfile, "w");
    if (f == NULL) { perror(pidfile); kill(child, SIGKILL); return 1; }
    fprintf(f, "%d\n", (int)child);
    fclose(f);
    printf("nfq-shaper: pid %d serving queue %d\n", (int)child, QUEUE_NUM);
    return 0;
  }
  // The child: detached from the exec session that started it.
  setsid();
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); close(null); }
  struct sigaction sa = { .sa_handler = on_term };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  serve(h, qh);
  nfq_destroy_queue(qh);
  nfq_close(h);
  FILE *f = fopen(statsfile, "w");
  if (f != NULL) { write_stats(f); fclose(f); }
  unlink(pidfile);
  return 0;
}
