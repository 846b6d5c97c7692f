/* native/lazyfs/undo.h — the undo log of every change not yet made durable.
 *
 * lazyfs writes through to the backing directory at once and remembers, for each change, how to
 * take it back. A "crash" takes back every change still in the log, newest first, which leaves
 * the backing directory as it was at the last sync of each file and directory. fsync of a file
 * forgets that file's data entries; fsync of a directory forgets its namespace entries.
 */
#ifndef LAZYFS_UNDO_H
#define LAZYFS_UNDO_H

#include <stddef.h>
#include <sys/types.h>

enum undo_kind {
  UNDO_WRITE,  /* data: old bytes of [off, off+len) and the old size */
  UNDO_CREATE, /* namespace: a new name (file, dir, symlink, hard link); undo removes it */
  UNDO_REMOVE, /* namespace: a removed name, kept in the stash; undo moves it back */
  UNDO_RENAME, /* namespace: old -> new, maybe over a stashed target */
};

/* An inode as the backing filesystem knows it. */
struct lazy_inode {
  dev_t dev;
  ino_t ino;
  int fd; /* O_RDWR on the backing file, kept while entries refer to it */
  int refs;
  struct lazy_inode *next;
};

struct undo_entry {
  enum undo_kind kind;
  struct undo_entry *prev, *next;
  /* UNDO_WRITE */
  struct lazy_inode *inode;
  off_t off;
  size_t new_len;
  char *old_bytes; /* the bytes the write covered inside the old size */
  size_t old_len;
  off_t old_size;
  char *new_bytes; /* kept for the newest write only: a torn crash re-applies a prefix */
  /* namespace entries: parent directory fds (O_PATH) survive renames of the parents */
  int dir_fd, dir2_fd;
  dev_t dir_dev, dir2_dev;
  ino_t dir_ino, dir2_ino;
  int dir_synced, dir2_synced;
  char *name, *name2;
  char *stash_name; /* UNDO_REMOVE, and UNDO_RENAME over an existing target */
  ino_t created_ino; /* UNDO_CREATE: only remove the name if it still names this inode */
  int is_dir;
};

struct undo_stats {
  size_t entries;
  size_t write_entries;
  size_t namespace_entries;
  size_t unsynced_bytes; /* bytes written since their file's last sync */
  size_t crashes;
  size_t undo_failures; /* undo steps that could not be done (logged to stderr) */
  size_t last_crash_undone;
  size_t last_crash_torn_bytes;
};

/* undo_init: the backing root fd and the stash directory fd (both on the backing filesystem). */
void undo_init(int root_fd, int stash_fd);
struct lazy_inode *inode_get(int fd);
void undo_record_write(struct lazy_inode *ino, off_t off, const char *new_bytes, size_t new_len,
                       const char *old_bytes, size_t old_len, off_t old_size);
void undo_record_create(int dir_fd, const char *name, ino_t created_ino, int is_dir);
/* undo_stash_remove moves dir/name into the stash and records it; returns 0 or -errno. */
int undo_stash_remove(int dir_fd, const char *name, int is_dir);
/* undo_rename renames (stashing an existing target) and records it; returns 0 or -errno. */
int undo_rename(int odir_fd, const char *oname, int ndir_fd, const char *nname, int noreplace);
void undo_sync_inode(dev_t dev, ino_t ino);
void undo_sync_dir(dev_t dev, ino_t ino);
void undo_sync_all(void);
/* undo_crash takes back every entry; torn_bytes < 0: no tear, else keep that prefix of the
 * newest write (torn_bytes == 0 means half of it). */
void undo_crash(long torn_bytes);
void undo_get_stats(struct undo_stats *out);

#endif
