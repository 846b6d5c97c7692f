/* native/lazyfs/undo.c — the undo log (see undo.h). Callers hold the filesystem's one lock. */
#define _GNU_SOURCE
#include "undo.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_root_fd = -1;
static int g_stash_fd = -1;
static struct undo_entry *g_head, *g_tail; /* oldest .. newest */
static struct lazy_inode *g_inodes;
static struct undo_stats g_stats;
static unsigned long g_stash_seq;

void undo_init(int root_fd, int stash_fd) {
  g_root_fd = root_fd;
  g_stash_fd = stash_fd;
}

static void fail(const char *what, const char *name, int err) {
  g_stats.undo_failures++;
  fprintf(stderr, "lazyfs: undo %s %s: %s\n", what, name ? name : "", strerror(err));
}

static void *xcalloc(size_t n) {
  void *p = calloc(1, n);
  if (p == NULL) {
    fprintf(stderr, "lazyfs: out of memory\n");
    abort();
  }
  return p;
}

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (p == NULL) abort();
  return p;
}

/* inode_get finds or makes the inode behind fd, with its own O_RDWR fd for undo writes. */
struct lazy_inode *inode_get(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return NULL;
  for (struct lazy_inode *i = g_inodes; i != NULL; i = i->next)
    if (i->dev == st.st_dev && i->ino == st.st_ino) return i;
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  int own = open(proc, O_RDWR | O_CLOEXEC);
  if (own < 0) own = dup(fd);
  if (own < 0) return NULL;
  struct lazy_inode *i = xcalloc(sizeof *i);
  i->dev = st.st_dev;
  i->ino = st.st_ino;
  i->fd = own;
  i->next = g_inodes;
  g_inodes = i;
  return i;
}

static void inode_release(struct lazy_inode *ino) {
  if (ino == NULL || --ino->refs > 0) return;
  for (struct lazy_inode **p = &g_inodes; *p != NULL; p = &(*p)->next) {
    if (*p == ino) {
      *p = ino->next;
      close(ino->fd);
      free(ino);
      return;
    }
  }
}

static void link_entry(struct undo_entry *e) {
  e->prev = g_tail;
  if (g_tail) g_tail->next = e;
  else g_head = e;
  g_tail = e;
  g_stats.entries++;
  if (e->kind == UNDO_WRITE) g_stats.write_entries++;
  else g_stats.namespace_entries++;
}

static int dir_identity(int dir_fd, dev_t *dev, ino_t *ino) {
  struct stat st;
  if (fstat(dir_fd, &st) != 0) return -errno;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return 0;
}

/* ref_dir: an O_PATH fd of the directory dir_fd names, owned by the entry. */
static int ref_dir(int dir_fd) {
  return openat(dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void forget_stash(struct undo_entry *e) {
  if (e->stash_name == NULL) return;
  /* Stashed directories are empty (rmdir, or an empty target replaced by a rename). */
  if (unlinkat(g_stash_fd, e->stash_name, 0) != 0 && (errno == EISDIR || errno == EPERM))
    unlinkat(g_stash_fd, e->stash_name, AT_REMOVEDIR);
}

/* free_entry unlinks e from the log; drop_stash removes what it stashed (the change is durable). */
static void free_entry(struct undo_entry *e, int drop_stash) {
  if (e->prev) e->prev->next = e->next;
  else g_head = e->next;
  if (e->next) e->next->prev = e->prev;
  else g_tail = e->prev;
  g_stats.entries--;
  if (e->kind == UNDO_WRITE) {
    g_stats.write_entries--;
    g_stats.unsynced_bytes -= e->new_len;
    inode_release(e->inode);
  } else {
    g_stats.namespace_entries--;
  }
  if (drop_stash) forget_stash(e);
  if (e->dir_fd >= 0) close(e->dir_fd);
  if (e->dir2_fd >= 0) close(e->dir2_fd);
  free(e->old_bytes);
  free(e->new_bytes);
  free(e->name);
  free(e->name2);
  free(e->stash_name);
  free(e);
}

static struct undo_entry *new_entry(enum undo_kind kind) {
  struct undo_entry *e = xcalloc(sizeof *e);
  e->kind = kind;
  e->dir_fd = -1;
  e->dir2_fd = -1;
  e->dir_synced = 1;
  e->dir2_synced = 1;
  return e;
}

void undo_record_write(struct lazy_inode *ino, off_t off, const char *new_bytes, size_t new_len,
                       const char *old_bytes, size_t old_len, off_t old_size) {
  /* Only the newest write keeps its new bytes (for a torn crash); free the previous one's. */
  for (struct undo_entry *e = g_tail; e != NULL; e = e->prev) {
    if (e->kind == UNDO_WRITE && e->new_bytes != NULL) {
      free(e->new_bytes);
      e->new_bytes = NULL;
      break;
    }
  }
  struct undo_entry *e = new_entry(UNDO_WRITE);
  e->inode = ino;
  ino->refs++;
  e->off = off;
  e->new_len = new_len;
  e->old_size = old_size;
  e->old_len = old_len;
  if (old_len > 0) {
    e->old_bytes = malloc(old_len);
    if (e->old_bytes == NULL) abort();
    memcpy(e->old_bytes, old_bytes, old_len);
  }
  if (new_len > 0) {
    e->new_bytes = malloc(new_len);
    if (e->new_bytes == NULL) abort();
    memcpy(e->new_bytes, new_bytes, new_len);
  }
  g_stats.unsynced_bytes += new_len;
  link_entry(e);
}

static void set_dir(struct undo_entry *e, int which, int dir_fd) {
  int fd = ref_dir(dir_fd);
  dev_t dev = 0;
  ino_t ino = 0;
  if (fd >= 0) dir_identity(fd, &dev, &ino);
  if (which == 1) {
    e->dir_fd = fd, e->dir_dev = dev, e->dir_ino = ino, e->dir_synced = 0;
  } else {
    e->dir2_fd = fd, e->dir2_dev = dev, e->dir2_ino = ino, e->dir2_synced = 0;
  }
}

void undo_record_create(int dir_fd, const char *name, ino_t created_ino, int is_dir) {
  struct undo_entry *e = new_entry(UNDO_CREATE);
  set_dir(e, 1, dir_fd);
  e->name = xstrdup(name);
  e->created_ino = created_ino;
  e->is_dir = is_dir;
  link_entry(e);
}

static char *next_stash_name(void) {
  char buf[64];
  snprintf(buf, sizeof buf, "s%lu", ++g_stash_seq);
  return xstrdup(buf);
}

/* dir_is_empty: 1 when dir/name is a directory holding nothing; 0 otherwise, errno set on error. */
static int dir_is_empty(int dir_fd, const char *name) {
  errno = 0;
  int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return 0;
  }
  struct dirent *de;
  int empty = 1;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) empty = 0;
  closedir(d);
  errno = 0;
  return empty;
}

int undo_stash_remove(int dir_fd, const char *name, int is_dir) {
  char *stash = next_stash_name();
  if (is_dir && !dir_is_empty(dir_fd, name)) {
    free(stash);
    return errno != 0 ? -errno : -ENOTEMPTY;
  }
  if (renameat(dir_fd, name, g_stash_fd, stash) != 0) {
    int err = errno;
    free(stash);
    return -err;
  }
  struct undo_entry *e = new_entry(UNDO_REMOVE);
  set_dir(e, 1, dir_fd);
  e->name = xstrdup(name);
  e->stash_name = stash;
  e->is_dir = is_dir;
  link_entry(e);
  return 0;
}

int undo_rename(int odir_fd, const char *oname, int ndir_fd, const char *nname, int noreplace) {
  struct stat st;
  char *stash = NULL;
  if (fstatat(ndir_fd, nname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (noreplace) return -EEXIST;
    struct stat ost;
    if (fstatat(odir_fd, oname, &ost, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
    if (ost.st_dev == st.st_dev && ost.st_ino == st.st_ino) return 0; /* same file: a no-op */
    /* rename(2)'s rules for a target that exists, checked before the target is stashed. */
    if (S_ISDIR(st.st_mode) && !S_ISDIR(ost.st_mode)) return -EISDIR;
    if (!S_ISDIR(st.st_mode) && S_ISDIR(ost.st_mode)) return -ENOTDIR;
    if (S_ISDIR(st.st_mode) && !dir_is_empty(ndir_fd, nname)) return -ENOTEMPTY;
    stash = next_stash_name();
    if (renameat(ndir_fd, nname, g_stash_fd, stash) != 0) {
      int err = errno;
      free(stash);
      return -err;
    }
  }
  if (renameat(odir_fd, oname, ndir_fd, nname) != 0) {
    int err = errno;
    if (stash != NULL) renameat(g_stash_fd, stash, ndir_fd, nname);
    free(stash);
    return -err;
  }
  struct undo_entry *e = new_entry(UNDO_RENAME);
  set_dir(e, 1, odir_fd);
  set_dir(e, 2, ndir_fd);
  e->name = xstrdup(oname);
  e->name2 = xstrdup(nname);
  e->stash_name = stash;
  link_entry(e);
  return 0;
}

void undo_sync_inode(dev_t dev, ino_t ino) {
  for (struct undo_entry *e = g_head, *next; e != NULL; e = next) {
    next = e->next;
    if (e->kind == UNDO_WRITE && e->inode->dev == dev && e->inode->ino == ino) free_entry(e, 1);
  }
}

void undo_sync_dir(dev_t dev, ino_t ino) {
  for (struct undo_entry *e = g_head, *next; e != NULL; e = next) {
    next = e->next;
    if (e->kind == UNDO_WRITE) continue;
    if (e->dir_fd >= 0 && e->dir_dev == dev && e->dir_ino == ino) e->dir_synced = 1;
    if (e->dir2_fd >= 0 && e->dir2_dev == dev && e->dir2_ino == ino) e->dir2_synced = 1;
    /* A rename is durable once the directory of its new name is synced (dir2; for other kinds dir2
     * is unset and counts as synced): that is the fsync careful programs do after moving a file
     * into place, and a journaling file system commits both directories' halves of a rename
     * together. Waiting for the old name's directory too made a crash take back a rename that
     * Redis had made durable this way, a state no real file system leaves. */
    if (e->kind == UNDO_RENAME ? e->dir2_synced : (e->dir_synced && e->dir2_synced)) free_entry(e, 1);
  }
}

void undo_sync_all(void) {
  while (g_head != NULL) free_entry(g_head, 1);
}

static void undo_write(struct undo_entry *e) {
  int fd = e->inode->fd;
  if (e->old_len > 0 && pwrite(fd, e->old_bytes, e->old_len, e->off) != (ssize_t)e->old_len)
    fail("write", "", errno);
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size != e->old_size && ftruncate(fd, e->old_size) != 0)
    fail("truncate", "", errno);
}

static void undo_create(struct undo_entry *e) {
  struct stat st;
  if (fstatat(e->dir_fd, e->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return; /* already gone */
  if (st.st_ino != e->created_ino) return; /* the name was taken over by a durable change */
  if (unlinkat(e->dir_fd, e->name, e->is_dir ? AT_REMOVEDIR : 0) == 0) return;
  /* A created directory that still holds durable entries: move it aside, it had no durable name. */
  char *stash = next_stash_name();
  if (renameat(e->dir_fd, e->name, g_stash_fd, stash) != 0) fail("create", e->name, errno);
  free(stash);
}

static void undo_remove(struct undo_entry *e) {
  if (renameat(g_stash_fd, e->stash_name, e->dir_fd, e->name) != 0) fail("remove", e->name, errno);
  free(e->stash_name);
  e->stash_name = NULL;
}

static void undo_rename_entry(struct undo_entry *e) {
  if (renameat(e->dir2_fd, e->name2, e->dir_fd, e->name) != 0) {
    /* The new name is gone: a later change that is durable (a rename on into a synced directory)
     * took the file on from it, so that change keeps it and this one has nothing left to undo. */
    if (errno == ENOENT) return;
    fail("rename", e->name2, errno);
  }
  if (e->stash_name != NULL) {
    if (renameat(g_stash_fd, e->stash_name, e->dir2_fd, e->name2) != 0) fail("rename target", e->name2, errno);
    free(e->stash_name);
    e->stash_name = NULL;
  }
}

void undo_crash(long torn_bytes) {
  struct undo_entry *torn = NULL;
  for (struct undo_entry *e = g_tail; e != NULL; e = e->prev)
    if (e->kind == UNDO_WRITE) {
      torn = e;
      break;
    }
  size_t keep = 0;
  if (torn_bytes >= 0 && torn != NULL && torn->new_bytes != NULL && torn->new_len > 1) {
    keep = torn_bytes == 0 ? torn->new_len / 2 : (size_t)torn_bytes;
    if (keep >= torn->new_len) keep = torn->new_len - 1;
  }
  /* Keep the torn write's inode alive past its entry's release. */
  struct lazy_inode *torn_inode = keep > 0 ? torn->inode : NULL;
  char *torn_data = NULL;
  off_t torn_off = 0;
  if (torn_inode != NULL) {
    torn_inode->refs++;
    torn_data = torn->new_bytes;
    torn->new_bytes = NULL;
    torn_off = torn->off;
  }
  size_t undone = 0;
  while (g_tail != NULL) {
    struct undo_entry *e = g_tail;
    switch (e->kind) {
      case UNDO_WRITE: undo_write(e); break;
      case UNDO_CREATE: undo_create(e); break;
      case UNDO_REMOVE: undo_remove(e); break;
      case UNDO_RENAME: undo_rename_entry(e); break;
    }
    free_entry(e, 0);
    undone++;
  }
  g_stats.last_crash_torn_bytes = 0;
  if (torn_inode != NULL) {
    /* The disk got the first `keep` bytes of the newest write and nothing after them. */
    if (pwrite(torn_inode->fd, torn_data, keep, torn_off) == (ssize_t)keep) g_stats.last_crash_torn_bytes = keep;
    else fail("torn write", "", errno);
    free(torn_data);
    inode_release(torn_inode);
  }
  g_stats.crashes++;
  g_stats.last_crash_undone = undone;
  fsync(g_root_fd);
}

void undo_get_stats(struct undo_stats *out) {
  *out = g_stats;
}
