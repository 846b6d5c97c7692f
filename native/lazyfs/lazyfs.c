/* native/lazyfs/lazyfs.c — a FUSE passthrough that can lose what was not synced (Jepsen's LazyFS).
 *
 * Usage: lazyfs [--die-with-parent] BACKING MOUNTPOINT [fuse options]
 *
 * Every operation is passed through to BACKING at once, and recorded in an undo log (undo.c)
 * until it is durable:
 *   - file data and size (write, truncate): durable at fsync/fdatasync of that file;
 *   - names (create, mkdir, mknod, symlink, link, unlink, rmdir, rename): durable at fsync of the
 *     directory holding the name (a rename: of the new name's directory), as POSIX asks and careful
 *     databases do; fsync of a new file does not make its name durable;
 *   - mode, owner and times: durable at once (not modelled).
 * A name made as root (lazyfs runs as root) is given to the calling user, as a kernel fs would.
 * The control file /.lazyfs-ctl (hidden from listings) takes one command a write:
 *   "crash"          take back every change not yet durable, newest first;
 *   "crash torn"     the same, then re-apply the first half of the newest unsynced write;
 *   "crash torn=N"   ... its first N bytes;
 *   "sync"           make everything durable now;
 * and reading it gives counters, one "name value" a line. A command is done when its write
 * returns. Unmounting keeps everything (a clean shutdown, not a crash).
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "undo.h"

#define CTL_NAME ".lazyfs-ctl"
#define STASH_NAME ".lazyfs-stash"
#define CTL_PATH "/" CTL_NAME
#define CTL_FH ((uint64_t)-2)

static int g_root = -1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void lock(void) { pthread_mutex_lock(&g_lock); }
static void unlock(void) { pthread_mutex_unlock(&g_lock); }

/* rel turns "/a/b" into "a/b" and "/" into "." for the *at() calls on the backing root. */
static const char *rel(const char *path) {
  while (*path == '/') path++;
  return *path == '\0' ? "." : path;
}

static int is_hidden(const char *path) {
  return strcmp(path, "/" STASH_NAME) == 0 || strncmp(path, "/" STASH_NAME "/", sizeof STASH_NAME + 1) == 0;
}

/* parent_of opens the parent directory of path (O_PATH) and points *name at the last part. */
static int parent_of(const char *path, char *buf, size_t bufsz, const char **name) {
  const char *r = rel(path);
  if (strlen(r) >= bufsz) return -ENAMETOOLONG;
  strcpy(buf, r);
  char *slash = strrchr(buf, '/');
  int fd;
  if (slash == NULL) {
    *name = r;
    fd = openat(g_root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  } else {
    *slash = '\0';
    *name = r + (slash - buf) + 1;
    fd = openat(g_root, buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  return fd < 0 ? -errno : fd;
}

static void *lz_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  /* No kernel caching of names, attributes or pages: after a crash the kernel must see the
   * backing files as they now are. */
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->kernel_cache = 0;
  cfg->auto_cache = 0;
  cfg->use_ino = 1;
  cfg->hard_remove = 1; /* unlink for real, no .fuse_hidden files */
  cfg->nullpath_ok = 1;
  return NULL;
}

static void lz_destroy(void *data) {
  (void)data;
  lock();
  undo_sync_all(); /* a clean unmount: nothing is lost */
  unlock();
  unlinkat(g_root, STASH_NAME, AT_REMOVEDIR); /* leave the backing directory as the DB made it */
}

static int lz_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  if (path != NULL && strcmp(path, CTL_PATH) == 0) {
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    return 0;
  }
  if (path != NULL && is_hidden(path)) return -ENOENT;
  int r = (fi != NULL && fi->fh != CTL_FH) ? fstat((int)fi->fh, st) : fstatat(g_root, rel(path), st, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : -errno;
}

static int lz_access(const char *path, int mask) {
  if (strcmp(path, CTL_PATH) == 0) return 0;
  if (is_hidden(path)) return -ENOENT;
  return faccessat(g_root, rel(path), mask, 0) == 0 ? 0 : -errno;
}

static int lz_readlink(const char *path, char *buf, size_t size) {
  ssize_t n = readlinkat(g_root, rel(path), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

static int lz_opendir(const char *path, struct fuse_file_info *fi) {
  if (is_hidden(path)) return -ENOENT;
  int fd = openat(g_root, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  fi->fh = (uint64_t)fd;
  return 0;
}

static int lz_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
  (void)path; /* may be NULL (nullpath_ok): the root is known by its inode */
  (void)off;
  (void)flags;
  struct stat dst, rst;
  int root = fstat((int)fi->fh, &dst) == 0 && fstat(g_root, &rst) == 0 && dst.st_ino == rst.st_ino && dst.st_dev == rst.st_dev;
  int fd = dup((int)fi->fh);
  if (fd < 0) return -errno;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return -errno;
  }
  rewinddir(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (root && strcmp(de->d_name, STASH_NAME) == 0) continue;
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_ino = de->d_ino;
    st.st_mode = (mode_t)DTTOIF(de->d_type);
    if (filler(buf, de->d_name, &st, 0, 0) != 0) break;
  }
  closedir(d);
  return 0;
}

static int lz_releasedir(const char *path, struct fuse_file_info *fi) {
  (void)path;
  close((int)fi->fh);
  return 0;
}

static int lz_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)path;
  (void)datasync;
  struct stat st;
  if (fstat((int)fi->fh, &st) != 0) return -errno;
  lock();
  undo_sync_dir(st.st_dev, st.st_ino);
  unlock();
  return 0;
}

/* record_truncate truncates fd to size, keeping what the cut removes for a crash. */
static int record_truncate(int fd, off_t size) {
  struct lazy_inode *ino = inode_get(fd);
  if (ino == NULL) return -errno;
  struct stat st;
  if (fstat(ino->fd, &st) != 0) return -errno;
  char *old = NULL;
  size_t old_len = 0;
  if (size < st.st_size) {
    old_len = (size_t)(st.st_size - size);
    old = malloc(old_len);
    if (old == NULL) return -ENOMEM;
    if (pread(ino->fd, old, old_len, size) != (ssize_t)old_len) {
      free(old);
      return -EIO;
    }
  }
  if (ftruncate(ino->fd, size) != 0) {
    free(old);
    return -errno;
  }
  undo_record_write(ino, size, NULL, 0, old, old_len, st.st_size);
  free(old);
  return 0;
}

static int lz_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  if (path != NULL && strcmp(path, CTL_PATH) == 0) return 0;
  int fd = fi != NULL ? (int)fi->fh : openat(g_root, rel(path), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  lock();
  int r = record_truncate(fd, size);
  unlock();
  if (fi == NULL) close(fd);
  return r;
}

/* own_by_caller gives a name just made to the calling process's user, as a kernel filesystem
 * would: lazyfs runs as root, so without it every file would be root's and a server that runs as
 * its own user (postgres checks that it owns its data directory) would refuse it. */
static void own_by_caller(int dir_fd, const char *name) {
  if (geteuid() != 0) return;
  const struct fuse_context *ctx = fuse_get_context();
  if (ctx == NULL || ctx->uid == 0) return;
  (void)fchownat(dir_fd, name, ctx->uid, ctx->gid, AT_SYMLINK_NOFOLLOW);
}

/* name_made: a name mkdir, mknod or symlink just made goes to the caller and into the undo log
 * (it is taken back at a crash unless its directory was fsynced). */
static void name_made(int dir_fd, const char *name, int is_dir) {
  own_by_caller(dir_fd, name);
  struct stat st;
  if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) undo_record_create(dir_fd, name, st.st_ino, is_dir);
}

static int open_file(int dir_fd, const char *name, int flags, mode_t mode, int create, struct fuse_file_info *fi) {
  struct stat st;
  int existed = fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  int fd = openat(dir_fd, name, (flags & ~O_TRUNC) | O_CLOEXEC | (create ? O_CREAT : 0), mode);
  if (fd < 0) return -errno;
  if (!existed) {
    own_by_caller(dir_fd, name);
    if (fstat(fd, &st) == 0) undo_record_create(dir_fd, name, st.st_ino, 0);
  } else if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
    int r = record_truncate(fd, 0);
    if (r != 0) {
      close(fd);
      return r;
    }
  }
  fi->fh = (uint64_t)fd;
  return 0;
}

static int lz_open(const char *path, struct fuse_file_info *fi) {
  if (strcmp(path, CTL_PATH) == 0) {
    fi->fh = CTL_FH;
    fi->direct_io = 1; /* its reads ignore its size (0) */
    return 0;
  }
  if (is_hidden(path)) return -ENOENT;
  char buf[PATH_MAX];
  const char *name;
  int dir_fd = parent_of(path, buf, sizeof buf, &name);
  if (dir_fd < 0) return dir_fd;
  lock();
  int r = open_file(dir_fd, name, fi->flags & ~O_CREAT, 0, 0, fi);
  unlock();
  close(dir_fd);
  return r;
}

static int lz_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
  if (strcmp(path, CTL_PATH) == 0 || is_hidden(path)) return -EEXIST;
  char buf[PATH_MAX];
  const char *name;
  int dir_fd = parent_of(path, buf, sizeof buf, &name);
  if (dir_fd < 0) return dir_fd;
  lock();
  int r = open_file(dir_fd, name, fi->flags, mode, 1, fi);
  unlock();
  close(dir_fd);
  return r;
}

static int ctl_read(char *buf, size_t size, off_t off) {
  struct undo_stats s;
  lock();
  undo_get_stats(&s);
  unlock();
  char text[512];
  int n = snprintf(text, sizeof text,
                   "entries %zu\nwrite_entries %zu\nnamespace_entries %zu\nunsynced_bytes %zu\ncrashes %zu\n"
                   "undo_failures %zu\nlast_crash_undone %zu\nlast_crash_torn_bytes %zu\n",
                   s.entries, s.write_entries, s.namespace_entries, s.unsynced_bytes, s.crashes, s.undo_failures,
                   s.last_crash_undone, s.last_crash_torn_bytes);
  if (off >= n) return 0;
  size_t len = (size_t)(n - off) < size ? (size_t)(n - off) : size;
  memcpy(buf, text + off, len);
  return (int)len;
}

static int ctl_write(const char *data, size_t size) {
  char cmd[64];
  size_t n = size < sizeof cmd - 1 ? size : sizeof cmd - 1;
  memcpy(cmd, data, n);
  cmd[n] = '\0';
  while (n > 0 && (cmd[n - 1] == '\n' || cmd[n - 1] == ' ')) cmd[--n] = '\0';
  long torn = -1;
  int r = (int)size;
  lock();
  if (strcmp(cmd, "crash") == 0) {
    undo_crash(-1);
  } else if (strcmp(cmd, "crash torn") == 0) {
    undo_crash(0);
  } else if (strncmp(cmd, "crash torn=", 11) == 0) {
    char *end;
    torn = strtol(cmd + 11, &end, 10);
    if (*end != '\0' || torn <= 0) r = -EINVAL;
    else undo_crash(torn);
  } else if (strcmp(cmd, "sync") == 0) {
    undo_sync_all();
  } else {
    fprintf(stderr, "lazyfs: unknown control command \"%s\" (expected crash, crash torn[=N], sync)\n", cmd);
    r = -EINVAL;
  }
  unlock();
  return r;
}

static int lz_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  if (fi->fh == CTL_FH) return ctl_read(buf, size, off);
  ssize_t n = pread((int)fi->fh, buf, size, off);
  return n < 0 ? -errno : (int)n;
}

static int lz_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  if (fi->fh == CTL_FH) return ctl_write(buf, size);
  int fd = (int)fi->fh;
  lock();
  struct lazy_inode *ino = inode_get(fd);
  struct stat st;
  if (ino == NULL || fstat(ino->fd, &st) != 0) {
    unlock();
    return -errno;
  }
  /* The backing fd keeps O_APPEND, so such a write lands at the end whatever off says. */
  off_t at = (fi->flags & O_APPEND) ? st.st_size : off;
  size_t old_len = 0;
  if (at < st.st_size) old_len = (size_t)(st.st_size - at) < size ? (size_t)(st.st_size - at) : size;
  char *old = NULL;
  if (old_len > 0) {
    old = malloc(old_len);
    if (old == NULL || pread(ino->fd, old, old_len, at) != (ssize_t)old_len) {
      free(old);
      unlock();
      return -EIO;
    }
  }
  ssize_t n = pwrite(fd, buf, size, at);
  int err = errno;
  if (n > 0) undo_record_write(ino, at, buf, (size_t)n, old, old_len < (size_t)n ? old_len : (size_t)n, st.st_size);
  unlock();
  free(old);
  return n < 0 ? -err : (int)n;
}

static int lz_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)path;
  (void)datasync;
  if (fi->fh == CTL_FH) return 0;
  struct stat st;
  if (fstat((int)fi->fh, &st) != 0) return -errno;
  lock();
  undo_sync_inode(st.st_dev, st.st_ino);
  unlock();
  return 0;
}

static int lz_release(const char *path, struct fuse_file_info *fi) {
  (void)path;
  if (fi->fh != CTL_FH) close((int)fi->fh);
  return 0;
}

static int lz_statfs(const char *path, struct statvfs *st) {
  (void)path;
  return fstatvfs(g_root, st) == 0 ? 0 : -errno;
}

static int lz_mkdir(const char *path, mode_t mode) {
  if (is_hidden(path)) return -EEXIST;
  char buf[PATH_MAX];
  const char *name;
  int dir_fd = parent_of(path, buf, sizeof buf, &name);
  if (dir_fd < 0) return dir_fd;
  lock();
  int r = mkdirat(dir_fd, name, mode) == 0 ? 0 : -errno;
  if (r == 0) name_made(dir_fd, name, 1);
  unlock();
  close(dir_fd);
  return r;
}

static int lz_mknod(const char *path, mode_t mode, dev_t rdev) {
  char buf[PATH_MAX];
  const char *name;
  int dir_fd = parent_of(path, buf, sizeof buf, &name);
  if (dir_fd < 0) return dir_fd;
  lock();
  int r = mknodat(dir_fd, name, mode, rdev) == 0 ? 0 : -errno;
  if (r == 0) name_made(dir_fd, name, 0);
  unlock();
  close(dir_fd);
  return r;
}

static int remove_name(const char *path, int is_dir) {
  if (strcmp(path, CTL_PATH) == 0) return -EPERM;
  if (is_hidden(path)) return -ENOENT;
  char buf[PATH_MAX];
  const char *name;
  int dir_fd = parent_of(path, buf, sizeof buf, &name);
  if (dir_fd < 0) return dir_fd;
  struct stat st;
  int r = fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
  if (r == 0 && is_dir && !S_ISDIR(st.st_mode)) r = -ENOTDIR;
  if (r == 0 && !is_dir && S_ISDIR(st.st_mode)) r = -EISDIR;
  if (r == 0) {
    lock();
    r = undo_stash_remove(dir_fd, name, is_dir);
    unlock();
  }
  close(dir_fd);
  return r;
}

static int lz_unlink(const char *path) { return remove_name(path, 0); }
static int lz_rmdir(const char *path) { return remove_name(path, 1); }

static int lz_symlink(const char *target, const char *path) {
  char buf[PATH_MAX];
  const char *name;
  int dir_fd = parent_of(path, buf, sizeof buf, &name);
  if (dir_fd < 0) return dir_fd;
  lock();
  int r = symlinkat(target, dir_fd, name) == 0 ? 0 : -errno;
  if (r == 0) name_made(dir_fd, name, 0);
  unlock();
  close(dir_fd);
  return r;
}

static int lz_link(const char *from, const char *to) {
  char buf[PATH_MAX];
  const char *name;
  int dir_fd = parent_of(to, buf, sizeof buf, &name);
  if (dir_fd < 0) return dir_fd;
  lock();
  int r = linkat(g_root, rel(from), dir_fd, name, 0) == 0 ? 0 : -errno;
  struct stat st;
  if (r == 0 && fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) undo_record_create(dir_fd, name, st.st_ino, 0);
  unlock();
  close(dir_fd);
  return r;
}

static int lz_rename(const char *from, const char *to, unsigned int flags) {
  if (flags & RENAME_EXCHANGE) return -EINVAL;
  if (strcmp(from, CTL_PATH) == 0 || strcmp(to, CTL_PATH) == 0 || is_hidden(from) || is_hidden(to)) return -EPERM;
  char obuf[PATH_MAX], nbuf[PATH_MAX];
  const char *oname, *nname;
  int ofd = parent_of(from, obuf, sizeof obuf, &oname);
  if (ofd < 0) return ofd;
  int nfd = parent_of(to, nbuf, sizeof nbuf, &nname);
  if (nfd < 0) {
    close(ofd);
    return nfd;
  }
  lock();
  int r = undo_rename(ofd, oname, nfd, nname, (flags & RENAME_NOREPLACE) != 0);
  unlock();
  close(ofd);
  close(nfd);
  return r;
}

static int lz_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
  int r = (fi != NULL) ? fchmod((int)fi->fh, mode) : fchmodat(g_root, rel(path), mode, 0);
  return r == 0 ? 0 : -errno;
}

static int lz_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
  int r = (fi != NULL) ? fchown((int)fi->fh, uid, gid) : fchownat(g_root, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : -errno;
}

static int lz_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
  int r = (fi != NULL) ? futimens((int)fi->fh, tv) : utimensat(g_root, rel(path), tv, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : -errno;
}

static const struct fuse_operations ops = {
    .init = lz_init,
    .destroy = lz_destroy,
    .getattr = lz_getattr,
    .access = lz_access,
    .readlink = lz_readlink,
    .opendir = lz_opendir,
    .readdir = lz_readdir,
    .releasedir = lz_releasedir,
    .fsyncdir = lz_fsyncdir,
    .mkdir = lz_mkdir,
    .mknod = lz_mknod,
    .symlink = lz_symlink,
    .unlink = lz_unlink,
    .rmdir = lz_rmdir,
    .rename = lz_rename,
    .link = lz_link,
    .chmod = lz_chmod,
    .chown = lz_chown,
    .truncate = lz_truncate,
    .utimens = lz_utimens,
    .open = lz_open,
    .create = lz_create,
    .read = lz_read,
    .write = lz_write,
    .statfs = lz_statfs,
    .fsync = lz_fsync,
    .release = lz_release,
};

/* clear_stash empties the stash a previous mount left (its entries were durable at unmount). */
static int open_stash(void) {
  if (mkdirat(g_root, STASH_NAME, 0700) != 0 && errno != EEXIST) return -1;
  int fd = openat(g_root, STASH_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  DIR *d = fdopendir(dup(fd));
  if (d != NULL) {
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
      if (unlinkat(fd, de->d_name, 0) != 0) unlinkat(fd, de->d_name, AT_REMOVEDIR);
    }
    closedir(d);
  }
  return fd;
}

int main(int argc, char **argv) {
  int argi = 1;
  if (argi < argc && strcmp(argv[argi], "--die-with-parent") == 0) {
    /* SIGTERM, not SIGKILL: libfuse's handler then unmounts before the process exits. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) perror("lazyfs: prctl");
    if (getppid() == 1) return 1;
    argi++;
  }
  if (argc - argi < 2) {
    fprintf(stderr, "usage: lazyfs [--die-with-parent] BACKING MOUNTPOINT [fuse options]\n");
    return 3;
  }
  const char *backing = argv[argi];
  g_root = open(backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_root < 0) {
    fprintf(stderr, "lazyfs: backing directory %s: %s\n", backing, strerror(errno));
    return 3;
  }
  int stash = open_stash();
  if (stash < 0) {
    fprintf(stderr, "lazyfs: stash directory in %s: %s\n", backing, strerror(errno));
    return 3;
  }
  undo_init(g_root, stash);
  /* fuse_main gets: program, mountpoint, -f (foreground: the caller owns the process), rest. */
  int fargc = 0;
  char **fargv = calloc((size_t)argc + 4, sizeof *fargv);
  fargv[fargc++] = argv[0];
  fargv[fargc++] = argv[argi + 1];
  fargv[fargc++] = "-f";
  fargv[fargc++] = "-ofsname=lazyfs,subtype=lazyfs,max_threads=8";
  for (int i = argi + 2; i < argc; i++) fargv[fargc++] = argv[i];
  return fuse_main(fargc, fargv, &ops, NULL);
}
