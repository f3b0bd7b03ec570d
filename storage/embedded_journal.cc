#include "storage/embedded_journal.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace billing {
namespace embedded_journal_internal {
namespace {

// Record framing. Every field little-endian, fixed layout, no padding:
//
//   u32 magic          kRecordMagic; a cheap "is this a record at all".
//   u32 payload_bytes  key bytes + value bytes (<= RecordBytesMax).
//   u32 crc            zlib crc32 over payload_bytes, key_bytes (both as
//                      their 4 little-endian bytes), key, value. The length
//                      fields are covered so a flipped length is caught.
//   u32 key_bytes      <= payload_bytes.
//   key bytes, then value bytes.
//
// The struct documents the layout and pins its size; encoding goes through
// explicit byte shifts so the file is the same on any host.
struct RecordHeader {
  uint32_t magic;
  uint32_t payload_bytes;
  uint32_t crc;
  uint32_t key_bytes;
};
static_assert(sizeof(RecordHeader) == 16,
              "the on-disk record header is 16 bytes; changing it changes the "
              "file format");
static_assert(sizeof(RecordHeader) == kEmbeddedJournalRecordHeaderBytes);
static_assert(kEmbeddedJournalRecordBytesMax <= UINT32_MAX,
              "payload_bytes is a u32");

constexpr size_t kHeaderBytes = sizeof(RecordHeader);
// "JRNL" in file byte order.
constexpr uint32_t kRecordMagic = 0x4c4e524a;
constexpr char kMetadataFile[] = "JOURNAL";
constexpr char kLockFile[] = "LOCK";
constexpr char kMetadataFormat[] = "billing-embedded-journal 1";
// Read size while scanning a partition on Open (1 MiB): large sequential
// reads, bounded memory.
constexpr size_t kScanChunkBytes = size_t{1} << 20;

void PutU32(char* out, uint32_t v) {
  out[0] = static_cast<char>(v & 0xff);
  out[1] = static_cast<char>((v >> 8) & 0xff);
  out[2] = static_cast<char>((v >> 16) & 0xff);
  out[3] = static_cast<char>((v >> 24) & 0xff);
}

uint32_t GetU32(const char* in) {
  const auto* b = reinterpret_cast<const unsigned char*>(in);
  return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) |
         (uint32_t{b[3]} << 24);
}

uint32_t RecordCrc(uint32_t payload_bytes, uint32_t key_bytes,
                   const char* payload) {
  char lengths[8];
  PutU32(lengths, payload_bytes);
  PutU32(lengths + 4, key_bytes);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(lengths), sizeof(lengths));
  crc = crc32(crc, reinterpret_cast<const Bytef*>(payload),
              static_cast<uInt>(payload_bytes));
  return static_cast<uint32_t>(crc);
}

// Writes one record at `out`, which has room for kHeaderBytes + key + value.
void EncodeRecord(absl::string_view key, absl::string_view value, char* out) {
  const auto payload_bytes = static_cast<uint32_t>(key.size() + value.size());
  const auto key_bytes = static_cast<uint32_t>(key.size());
  char* payload = out + kHeaderBytes;
  if (!key.empty()) std::memcpy(payload, key.data(), key.size());
  if (!value.empty()) {
    std::memcpy(payload + key.size(), value.data(), value.size());
  }
  PutU32(out, kRecordMagic);
  PutU32(out + 4, payload_bytes);
  PutU32(out + 8, RecordCrc(payload_bytes, key_bytes, payload));
  PutU32(out + 12, key_bytes);
}

enum class RecordCheck {
  kOk,
  // The record runs past the available bytes (an unfinished write if at EOF).
  kCut,
  // The bytes are not a valid record.
  kBad,
};

struct CheckResult {
  RecordCheck check;
  uint64_t record_bytes = 0;  // Header plus payload, when the header is sane.
  std::string reason;
};

// Classifies the record starting at `data`, with `available` bytes between
// it and EOF. Checks the length fields before "is it cut" so that a length
// corrupted to a huge value is reported as corruption, not as a torn write.
CheckResult CheckRecord(const char* data, uint64_t available) {
  if (available < kHeaderBytes) {
    return {RecordCheck::kCut, 0,
            absl::StrCat("header cut by EOF after ", available, " bytes")};
  }
  const uint32_t magic = GetU32(data);
  const uint32_t payload_bytes = GetU32(data + 4);
  const uint32_t crc = GetU32(data + 8);
  const uint32_t key_bytes = GetU32(data + 12);
  if (magic != kRecordMagic) {
    return {RecordCheck::kBad, 0, absl::StrFormat("bad magic 0x%08x", magic)};
  }
  if (payload_bytes > kEmbeddedJournalRecordBytesMax) {
    return {RecordCheck::kBad, 0,
            absl::StrCat("payload length ", payload_bytes, " above max ",
                         kEmbeddedJournalRecordBytesMax)};
  }
  if (key_bytes > payload_bytes) {
    return {RecordCheck::kBad, 0,
            absl::StrCat("key length ", key_bytes, " above payload length ",
                         payload_bytes)};
  }
  const uint64_t record_bytes = kHeaderBytes + uint64_t{payload_bytes};
  if (record_bytes > available) {
    return {RecordCheck::kCut, record_bytes,
            absl::StrCat("payload cut by EOF: record needs ", record_bytes,
                         " bytes, ", available, " remain")};
  }
  if (RecordCrc(payload_bytes, key_bytes, data + kHeaderBytes) != crc) {
    return {RecordCheck::kBad, record_bytes, "checksum mismatch"};
  }
  return {RecordCheck::kOk, record_bytes, ""};
}

absl::Status ErrnoStatus(int error_number, absl::string_view what,
                         absl::string_view path) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(what, " ", path));
}

// pread of exactly `n` bytes; fewer only at EOF (`*read` tells how many).
absl::Status PreadFull(int fd, char* out, size_t n, uint64_t position,
                       absl::string_view path, size_t* read) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r =
        pread(fd, out + done, n - done, static_cast<off_t>(position + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "pread", path);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  *read = done;
  return absl::OkStatus();
}

absl::Status WriteFull(int fd, absl::string_view data, absl::string_view path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t w = write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path);
    }
    done += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

// Makes a created, renamed or removed directory entry durable.
absl::Status FsyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open directory", dir);
  absl::Status status;
  if (fsync(fd) != 0) status = ErrnoStatus(errno, "fsync directory", dir);
  close(fd);
  return status;
}

// Replaces `dir/name` with `contents` so that a crash leaves either the old
// or the new file, never a mix: write a temp file, fsync, rename, fsync dir.
absl::Status WriteFileAtomically(const std::string& dir,
                                 const std::string& name,
                                 absl::string_view contents) {
  const std::string path = absl::StrCat(dir, "/", name);
  const std::string tmp = absl::StrCat(path, ".tmp");
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, "create", tmp);
  absl::Status status = WriteFull(fd, contents, tmp);
  if (status.ok() && fsync(fd) != 0) status = ErrnoStatus(errno, "fsync", tmp);
  close(fd);
  if (!status.ok()) return status;
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, "rename to " + path, tmp);
  }
  return FsyncDir(dir);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t r = read(fd, buf, sizeof(buf));
    if (r < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      close(fd);
      return ErrnoStatus(e, "read", path);
    }
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  close(fd);
  return out;
}

std::string MetadataContents(int32_t partition_count) {
  return absl::StrCat(kMetadataFormat, "\npartition_count ", partition_count,
                      "\n");
}

absl::StatusOr<int32_t> ParseMetadata(absl::string_view contents,
                                      absl::string_view path) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(contents, '\n', absl::SkipEmpty());
  int32_t count = 0;
  if (lines.size() != 2 || lines[0] != kMetadataFormat ||
      !absl::ConsumePrefix(&lines[1], "partition_count ") ||
      !absl::SimpleAtoi(lines[1], &count) || count < 1 ||
      count > kEmbeddedJournalPartitionCountMax) {
    return absl::DataLossError(absl::StrCat("unreadable journal metadata in ",
                                            path, ": \"",
                                            absl::CEscape(contents), "\""));
  }
  return count;
}

std::string PartitionFileName(int32_t partition) {
  return absl::StrFormat("partition-%05d.log", partition);
}

// Sequential reads of a file during the scan on Open, in kScanChunkBytes.
class ScanReader {
 public:
  ScanReader(int fd, uint64_t file_bytes, absl::string_view path)
      : fd_(fd), file_bytes_(file_bytes), path_(path) {}

  // The bytes [position, position + n) clipped to EOF; the view is valid
  // until the next call.
  absl::StatusOr<absl::string_view> Read(uint64_t position, uint64_t n) {
    n = std::min(n, file_bytes_ - position);
    if (position < buffer_start_ ||
        position + n > buffer_start_ + buffer_.size()) {
      const uint64_t want = std::min<uint64_t>(
          std::max<uint64_t>(n, kScanChunkBytes), file_bytes_ - position);
      buffer_.resize(want);
      size_t got = 0;
      absl::Status status =
          PreadFull(fd_, buffer_.data(), want, position, path_, &got);
      if (!status.ok()) return status;
      if (got != want) {
        return absl::DataLossError(absl::StrCat(
            path_, " shrank while it was being scanned, at byte position ",
            position + got));
      }
      buffer_start_ = position;
    }
    return absl::string_view(buffer_.data() + (position - buffer_start_), n);
  }

 private:
  int fd_;
  uint64_t file_bytes_;
  std::string path_;
  std::string buffer_;
  uint64_t buffer_start_ = 0;
};

}  // namespace

// One caller's records waiting to be written by a group commit. Lives on the
// caller's stack; the caller does not return before `done`.
struct PendingAppend {
  std::string bytes;                   // The encoded records, back to back.
  std::vector<uint32_t> record_bytes;  // Each record's encoded size.
  bool done = false;
  absl::Status status;
  int64_t first_offset = 0;
};

struct Partition {
  ~Partition() {
    if (fd >= 0) close(fd);
  }

  int32_t id = 0;
  std::string path;
  int fd = -1;  // O_RDWR; written only by the group leader, read by pread.

  absl::Mutex mu;
  // Signalled when a group finishes: its followers are done, and a queued
  // caller may become the next leader.
  absl::CondVar group_done;
  std::deque<PendingAppend*> queue ABSL_GUARDED_BY(mu);
  bool write_in_flight ABSL_GUARDED_BY(mu) = false;
  // positions[i] is the byte position of the record at offset i. Only
  // durable records are indexed, so readers never see an unsynced record.
  std::vector<uint64_t> positions ABSL_GUARDED_BY(mu);
  // Bytes of the durable prefix of the file; the next group starts here.
  uint64_t durable_bytes ABSL_GUARDED_BY(mu) = 0;
  // Set by a failed write or fdatasync; every later append fails with it.
  absl::Status broken ABSL_GUARDED_BY(mu);
  // Set at open when a record in the middle is corrupt (DataLoss naming it):
  // the records before it are readable, nothing is ever appended after it.
  absl::Status damage ABSL_GUARDED_BY(mu);
};

// Everything the journal and its readers share. Lock order: a partition's
// `mu` before `commit_mu_`; nothing is locked while waiting on commit_mu_.
class Core {
 public:
  explicit Core(EmbeddedJournalOptions options)
      : options_(std::move(options)) {}
  ~Core() {
    if (lock_fd_ >= 0) close(lock_fd_);  // Also releases the flock.
  }

  absl::Status Open();

  int32_t partition_count() const {
    return static_cast<int32_t>(partitions_.size());
  }

  absl::StatusOr<Offset> Append(PartitionId partition,
                                std::vector<JournalEntry> entries);
  absl::StatusOr<Offset> EndOffset(PartitionId partition);
  absl::Status PartitionDamage(PartitionId partition);

  // Appends to `out` the records of `partition` from `next`: at most
  // `records_max`, and at most `bytes_budget` encoded bytes unless `out` is
  // empty (the first record of a poll always fits). Returns how many, and
  // their encoded bytes in `*bytes_read`. Re-verifies each record.
  absl::StatusOr<int64_t> Read(int32_t partition, int64_t next,
                               size_t records_max, size_t bytes_budget,
                               size_t* bytes_read,
                               std::vector<JournalRecord>* out);

  uint64_t CommitGeneration() {
    absl::MutexLock lock(&commit_mu_);
    return commit_generation_;
  }
  // Waits until a group commits after `generation` was read (true) or until
  // `deadline` (false).
  bool WaitForCommit(uint64_t generation, absl::Time deadline) {
    absl::MutexLock lock(&commit_mu_);
    while (commit_generation_ == generation) {
      if (committed_.WaitWithDeadline(&commit_mu_, deadline)) {
        return commit_generation_ != generation;
      }
    }
    return true;
  }

  EmbeddedJournalStats stats() {
    EmbeddedJournalStats stats;
    {
      absl::MutexLock lock(&commit_mu_);
      stats = stats_;
    }
    for (const auto& p : partitions_) {
      absl::MutexLock lock(&p->mu);
      stats.appends_queued += static_cast<int64_t>(p->queue.size());
    }
    return stats;
  }

 private:
  absl::Status CreateLayout();
  absl::Status OpenPartition(int32_t id, bool create);
  absl::Status ScanPartition(Partition& p);
  // Leads one group commit on `p`. Called with p.mu held and no write in
  // flight; releases p.mu during the I/O.
  void LeadGroup(Partition& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p.mu);
  absl::Status WriteGroup(const Partition& p, uint64_t position,
                          const std::vector<PendingAppend*>& group);

  const EmbeddedJournalOptions options_;
  int lock_fd_ = -1;
  std::vector<std::unique_ptr<Partition>> partitions_;

  absl::Mutex commit_mu_;
  absl::CondVar committed_;  // Signalled after every successful group.
  uint64_t commit_generation_ ABSL_GUARDED_BY(commit_mu_) = 0;
  EmbeddedJournalStats stats_ ABSL_GUARDED_BY(commit_mu_);
};

absl::Status Core::Open() {
  const std::string& dir = options_.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::ErrnoToStatus(ec.value(),
                               absl::StrCat("create directory ", dir));
  }

  // One process (one journal object) per directory: two group-commit leaders
  // on one file would interleave writes.
  const std::string lock_path = absl::StrCat(dir, "/", kLockFile);
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return ErrnoStatus(errno, "open", lock_path);
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "journal ", dir, " is already open (", lock_path, " is locked)"));
    }
    return ErrnoStatus(errno, "flock", lock_path);
  }

  const std::string metadata_path = absl::StrCat(dir, "/", kMetadataFile);
  struct stat st;
  int32_t partition_count = options_.partition_count;
  bool create = false;
  if (stat(metadata_path.c_str(), &st) == 0) {
    absl::StatusOr<std::string> contents = ReadWholeFile(metadata_path);
    if (!contents.ok()) return contents.status();
    absl::StatusOr<int32_t> stored = ParseMetadata(*contents, metadata_path);
    if (!stored.ok()) return stored.status();
    if (*stored != options_.partition_count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "journal ", dir, " has ", *stored,
          " partitions; options.partition_count is ", options_.partition_count,
          " (the count is fixed at creation)"));
    }
    partition_count = *stored;
  } else if (errno == ENOENT) {
    create = true;
  } else {
    return ErrnoStatus(errno, "stat", metadata_path);
  }

  if (create) {
    absl::Status status = CreateLayout();
    if (!status.ok()) return status;
  }
  partitions_.reserve(static_cast<size_t>(partition_count));
  for (int32_t i = 0; i < partition_count; ++i) {
    absl::Status status = OpenPartition(i, create);
    if (!status.ok()) return status;
  }
  if (create) {
    // The metadata goes last: a journal without it was never fully created,
    // so its (empty) partition files may be created again.
    absl::Status status = FsyncDir(dir);
    if (!status.ok()) return status;
    status = WriteFileAtomically(dir, kMetadataFile,
                                 MetadataContents(partition_count));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// A directory without metadata may hold empty partition files of an earlier
// creation that crashed; partition files with data and no metadata mean the
// metadata was lost, and guessing the partition count would be wrong.
absl::Status Core::CreateLayout() {
  std::error_code ec;
  std::filesystem::directory_iterator it(options_.dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!absl::StartsWith(name, "partition-")) continue;
    std::error_code size_ec;
    const uintmax_t bytes = it->file_size(size_ec);
    if (size_ec || bytes > 0) {
      return absl::DataLossError(
          absl::StrCat("journal ", options_.dir, " has partition data (", name,
                       ") but no ", kMetadataFile, " file"));
    }
  }
  if (ec) {
    return absl::ErrnoToStatus(ec.value(),
                               absl::StrCat("list directory ", options_.dir));
  }
  return absl::OkStatus();
}

absl::Status Core::OpenPartition(int32_t id, bool create) {
  auto p = std::make_unique<Partition>();
  p->id = id;
  p->path = absl::StrCat(options_.dir, "/", PartitionFileName(id));
  const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  p->fd = open(p->path.c_str(), flags, 0644);
  if (p->fd < 0) {
    if (errno == ENOENT) {
      return absl::DataLossError(absl::StrCat(
          "partition file ", p->path, " of partition ", id, " is missing"));
    }
    return ErrnoStatus(errno, "open", p->path);
  }
  absl::Status status = ScanPartition(*p);
  if (!status.ok()) return status;
  partitions_.push_back(std::move(p));
  return absl::OkStatus();
}

namespace {

// Where the first valid record in `bytes` after its first byte starts, if
// any: proof that a record that looks torn at the end is not the last.
std::optional<size_t> ValidRecordAfterFirstByte(absl::string_view bytes) {
  char magic[4];
  PutU32(magic, kRecordMagic);
  const absl::string_view magic_view(magic, sizeof(magic));
  for (size_t at = bytes.find(magic_view, 1); at != absl::string_view::npos;
       at = bytes.find(magic_view, at + 1)) {
    if (CheckRecord(bytes.data() + at, bytes.size() - at).check ==
        RecordCheck::kOk) {
      return at;
    }
  }
  return std::nullopt;
}

}  // namespace

// Verifies every record and indexes it. Damage that an unfinished write can
// leave (the last record cut by EOF, or the last record failing its checksum
// when it ends exactly at EOF) is truncated away; anything else is DataLoss.
// To be sure a "torn last record" really is the last, the bytes after it are
// searched for a valid record: a corrupted length field could otherwise make
// a record in the middle look cut by EOF and drop acknowledged data.
absl::Status Core::ScanPartition(Partition& p) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  struct stat st;
  if (fstat(p.fd, &st) != 0) return ErrnoStatus(errno, "fstat", p.path);
  const auto file_bytes = static_cast<uint64_t>(st.st_size);
  ScanReader reader(p.fd, file_bytes, p.path);
  std::vector<uint64_t> positions;
  uint64_t position = 0;
  while (position < file_bytes) {
    absl::StatusOr<absl::string_view> header =
        reader.Read(position, kHeaderBytes);
    if (!header.ok()) return header.status();
    uint64_t want = kHeaderBytes;
    if (header->size() == kHeaderBytes) {
      want += std::min<uint64_t>(GetU32(header->data() + 4),
                                 kEmbeddedJournalRecordBytesMax);
    }
    absl::StatusOr<absl::string_view> record = reader.Read(position, want);
    if (!record.ok()) return record.status();
    const uint64_t remaining = file_bytes - position;
    CheckResult result = CheckRecord(record->data(), remaining);
    if (result.check == RecordCheck::kOk) {
      positions.push_back(position);
      position += result.record_bytes;
      continue;
    }

    const auto offset = static_cast<int64_t>(positions.size());
    const bool at_end = result.check == RecordCheck::kCut ||
                        (result.record_bytes != 0 &&
                         position + result.record_bytes == file_bytes);
    auto corruption = [&](absl::string_view why) {
      return absl::DataLossError(absl::StrCat(
          "corrupt record in ", p.path, ": partition ", p.id, ", offset ",
          offset, ", byte position ", position, ": ", why, "; ", remaining,
          " bytes from there to EOF; the journal was not changed"));
    };
    if (!at_end) {
      // Only this partition is damaged: its good prefix stays readable, the
      // file is left as it is, appends are refused (Core::Append).
      p.damage = corruption(result.reason);
      break;
    }
    // The tail is under one record (<= 64 MiB + header): read it whole and
    // look for any valid record starting after `position`.
    absl::StatusOr<absl::string_view> tail = reader.Read(position, remaining);
    if (!tail.ok()) return tail.status();
    if (std::optional<size_t> at = ValidRecordAfterFirstByte(*tail)) {
      p.damage = corruption(absl::StrCat(
          result.reason, ", yet a valid record follows at byte position ",
          position + *at));
      break;
    }
    absl::FPrintF(stderr,
                  "embedded journal: dropping torn last record of %s "
                  "(partition %d, offset %d, byte position %d, %d bytes: "
                  "%s); truncating the file to %d bytes\n",
                  p.path, p.id, offset, position, remaining, result.reason,
                  position);
    if (ftruncate(p.fd, static_cast<off_t>(position)) != 0) {
      return ErrnoStatus(errno, "ftruncate", p.path);
    }
    if (fsync(p.fd) != 0) return ErrnoStatus(errno, "fsync", p.path);
    break;
  }
  p.positions = std::move(positions);
  p.durable_bytes = position;
  return absl::OkStatus();
}

absl::StatusOr<Offset> Core::Append(PartitionId partition,
                                    std::vector<JournalEntry> entries) {
  if (partition.value() < 0 || partition.value() >= partition_count()) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition ", partition.value(), " out of range [0, ",
                     partition_count(), ")"));
  }
  if (entries.empty()) {
    return absl::InvalidArgumentError("append of no entries");
  }
  if (entries.size() > options_.group_commit_records_max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "append of ", entries.size(), " entries; group_commit_records_max is ",
        options_.group_commit_records_max));
  }

  // Encode outside any lock, so concurrent callers checksum in parallel.
  PendingAppend request;
  size_t total_bytes = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t payload = entries[i].key.size() + entries[i].value.size();
    if (payload > kEmbeddedJournalRecordBytesMax) {
      return absl::InvalidArgumentError(absl::StrCat(
          "entry ", i, " has ", payload, " bytes of key and value; max is ",
          kEmbeddedJournalRecordBytesMax));
    }
    total_bytes += kHeaderBytes + payload;
  }
  request.bytes.resize(total_bytes);
  request.record_bytes.reserve(entries.size());
  char* out = request.bytes.data();
  for (const JournalEntry& entry : entries) {
    EncodeRecord(entry.key, entry.value, out);
    const size_t record_bytes =
        kHeaderBytes + entry.key.size() + entry.value.size();
    request.record_bytes.push_back(static_cast<uint32_t>(record_bytes));
    out += record_bytes;
  }
  std::vector<JournalEntry>().swap(entries);  // Frees memory during the wait.

  Partition& p = *partitions_[static_cast<size_t>(partition.value())];
  {
    absl::MutexLock lock(&p.mu);
    if (!p.damage.ok()) {
      return absl::DataLossError(absl::StrCat(
          "partition ", p.id, " refuses appends: ", p.damage.message()));
    }
    if (!p.broken.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("partition ", p.id,
                       " refuses appends after an I/O error until the "
                       "journal is reopened: ",
                       p.broken.ToString()));
    }
    p.queue.push_back(&request);
    while (!request.done) {
      if (p.write_in_flight) {
        p.group_done.Wait(&p.mu);
      } else {
        LeadGroup(p);
      }
    }
  }
  if (!request.status.ok()) return request.status;
  return Offset(request.first_offset);
}

void Core::LeadGroup(Partition& p) {
  p.write_in_flight = true;
  std::vector<PendingAppend*> group;
  size_t records = 0;
  while (!p.queue.empty()) {
    PendingAppend* next = p.queue.front();
    if (!group.empty() && records + next->record_bytes.size() >
                              options_.group_commit_records_max) {
      break;
    }
    group.push_back(next);
    records += next->record_bytes.size();
    p.queue.pop_front();
  }

  const uint64_t start = p.durable_bytes;
  absl::Status status;
  if (p.broken.ok()) {
    // Only the leader writes, so `start` stays valid without the lock, and
    // followers can queue the next group meanwhile.
    p.mu.Unlock();
    if (options_.before_group_write_for_testing) {
      options_.before_group_write_for_testing();
    }
    status = WriteGroup(p, start, group);
    p.mu.Lock();
  }

  if (!p.broken.ok()) {
    for (PendingAppend* request : group) {
      request->status = absl::FailedPreconditionError(
          absl::StrCat("partition ", p.id,
                       " refuses appends after an I/O error until the "
                       "journal is reopened: ",
                       p.broken.ToString()));
    }
  } else if (!status.ok()) {
    p.broken = status;
    for (PendingAppend* request : group) {
      request->status = absl::UnavailableError(absl::StrCat(
          "append to partition ", p.id,
          " failed; its records may or may not "
          "be in the log; the partition refuses appends until the journal is "
          "reopened: ",
          status.ToString()));
    }
  } else {
    uint64_t position = start;
    for (PendingAppend* request : group) {
      request->first_offset = static_cast<int64_t>(p.positions.size());
      for (uint32_t record_bytes : request->record_bytes) {
        p.positions.push_back(position);
        position += record_bytes;
      }
    }
    p.durable_bytes = position;
  }
  for (PendingAppend* request : group) request->done = true;
  p.write_in_flight = false;
  p.group_done.SignalAll();

  if (status.ok() && p.broken.ok()) {
    absl::MutexLock lock(&commit_mu_);
    ++commit_generation_;
    ++stats_.group_commits;
    stats_.appends += static_cast<int64_t>(group.size());
    stats_.records += static_cast<int64_t>(records);
    committed_.SignalAll();
  }
}

absl::Status Core::WriteGroup(const Partition& p, uint64_t position,
                              const std::vector<PendingAppend*>& group) {
  std::vector<iovec> iov;
  iov.reserve(group.size());
  for (PendingAppend* request : group) {
    iov.push_back({request->bytes.data(), request->bytes.size()});
  }
  // One pwritev for the group (several only past IOV_MAX callers, or after a
  // short write).
  size_t first = 0;
  while (first < iov.size()) {
    const int count =
        static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    const ssize_t written =
        pwritev(p.fd, &iov[first], count, static_cast<off_t>(position));
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "pwritev", p.path);
    }
    position += static_cast<uint64_t>(written);
    auto left = static_cast<size_t>(written);
    while (left > 0 && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
    while (first < iov.size() && iov[first].iov_len == 0) ++first;
  }
  if (options_.sync && fdatasync(p.fd) != 0) {
    return ErrnoStatus(errno, "fdatasync", p.path);
  }
  return absl::OkStatus();
}

absl::Status Core::PartitionDamage(PartitionId partition) {
  if (partition.value() < 0 || partition.value() >= partition_count()) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition ", partition.value(), " out of range [0, ",
                     partition_count(), ")"));
  }
  Partition& p = *partitions_[static_cast<size_t>(partition.value())];
  absl::MutexLock lock(&p.mu);
  return p.damage;
}

absl::StatusOr<Offset> Core::EndOffset(PartitionId partition) {
  if (partition.value() < 0 || partition.value() >= partition_count()) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition ", partition.value(), " out of range [0, ",
                     partition_count(), ")"));
  }
  Partition& p = *partitions_[static_cast<size_t>(partition.value())];
  absl::MutexLock lock(&p.mu);
  return Offset(static_cast<int64_t>(p.positions.size()));
}

absl::StatusOr<int64_t> Core::Read(int32_t partition, int64_t next,
                                   size_t records_max, size_t bytes_budget,
                                   size_t* bytes_read,
                                   std::vector<JournalRecord>* out) {
  Partition& p = *partitions_[static_cast<size_t>(partition)];
  // Record boundaries: bounds[i] is where record next+i starts, the last
  // entry where the last one ends. Copied so the read runs unlocked.
  std::vector<uint64_t> bounds;
  {
    absl::MutexLock lock(&p.mu);
    const auto indexed = static_cast<int64_t>(p.positions.size());
    // bounds holds one entry more than the records taken, once non-empty.
    for (int64_t i = next;
         i < indexed && (bounds.empty() || bounds.size() - 1 < records_max);
         ++i) {
      const uint64_t end = i + 1 < indexed
                               ? p.positions[static_cast<size_t>(i + 1)]
                               : p.durable_bytes;
      const uint64_t start = p.positions[static_cast<size_t>(i)];
      const uint64_t bytes_if_taken =
          end - (bounds.empty() ? start : bounds.front());
      const bool first_of_poll = bounds.empty() && out->empty();
      if (!first_of_poll && bytes_if_taken > bytes_budget) break;
      if (bounds.empty()) bounds.push_back(start);
      bounds.push_back(end);
    }
  }
  *bytes_read = 0;
  if (bounds.empty()) return 0;

  const uint64_t total = bounds.back() - bounds.front();
  std::string buffer(total, '\0');
  size_t got = 0;
  absl::Status status =
      PreadFull(p.fd, buffer.data(), total, bounds.front(), p.path, &got);
  if (!status.ok()) return absl::UnavailableError(status.ToString());
  const int64_t count = static_cast<int64_t>(bounds.size()) - 1;
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t at = bounds[static_cast<size_t>(i)] - bounds.front();
    const uint64_t record_bytes =
        bounds[static_cast<size_t>(i) + 1] - bounds[static_cast<size_t>(i)];
    CheckResult result =
        CheckRecord(buffer.data() + at,
                    got > at ? std::min<uint64_t>(got - at, record_bytes) : 0);
    if (result.check != RecordCheck::kOk ||
        result.record_bytes != record_bytes) {
      return absl::DataLossError(absl::StrCat(
          "corrupt record in ", p.path, ": partition ", p.id, ", offset ",
          next + i, ", byte position ", bounds[static_cast<size_t>(i)], ": ",
          result.check == RecordCheck::kOk ? "length differs from the index"
                                           : result.reason,
          " (it was valid when the journal was opened or appended)"));
    }
    const char* payload = buffer.data() + at + kHeaderBytes;
    const uint32_t key_bytes = GetU32(buffer.data() + at + 12);
    JournalRecord record;
    record.partition = PartitionId(partition);
    record.offset = Offset(next + i);
    record.key.assign(payload, key_bytes);
    record.value.assign(payload + key_bytes,
                        record_bytes - kHeaderBytes - key_bytes);
    out->push_back(std::move(record));
  }
  *bytes_read = total;
  return count;
}

namespace {

class Reader : public JournalReader {
 public:
  struct Cursor {
    int32_t partition;
    int64_t next;
  };

  Reader(std::shared_ptr<Core> core, std::vector<Cursor> cursors)
      : core_(std::move(core)), cursors_(std::move(cursors)) {}

  absl::StatusOr<std::vector<JournalRecord>> Poll(
      size_t records_max, absl::Duration timeout) override {
    if (records_max == 0) {
      return absl::InvalidArgumentError("Poll with records_max 0");
    }
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      // Read the generation first: a commit landing between Collect and the
      // wait then ends the wait at once instead of being missed.
      const uint64_t generation = core_->CommitGeneration();
      absl::StatusOr<std::vector<JournalRecord>> records = Collect(records_max);
      if (!records.ok() || !records->empty()) return records;
      if (!core_->WaitForCommit(generation, deadline)) return records;
    }
  }

 private:
  // Takes from the partitions in turn, starting one further each call, so a
  // busy partition cannot starve the others of records_max.
  absl::StatusOr<std::vector<JournalRecord>> Collect(size_t records_max) {
    std::vector<JournalRecord> records;
    size_t bytes_left = kEmbeddedJournalPollBytesMax;
    const size_t n = cursors_.size();
    for (size_t k = 0; k < n && records.size() < records_max; ++k) {
      Cursor& cursor = cursors_[(rotation_ + k) % n];
      size_t bytes_read = 0;
      absl::StatusOr<int64_t> count = core_->Read(
          cursor.partition, cursor.next, records_max - records.size(),
          bytes_left, &bytes_read, &records);
      if (!count.ok()) return count.status();
      cursor.next += *count;
      if (bytes_read >= bytes_left) break;  // Budget spent.
      bytes_left -= bytes_read;
    }
    if (n > 0) rotation_ = (rotation_ + 1) % n;
    return records;
  }

  std::shared_ptr<Core> core_;
  std::vector<Cursor> cursors_;
  size_t rotation_ = 0;
};

}  // namespace
}  // namespace embedded_journal_internal

using embedded_journal_internal::Core;

absl::StatusOr<std::unique_ptr<EmbeddedJournal>> EmbeddedJournal::Open(
    const EmbeddedJournalOptions& options) {
  if (options.dir.empty()) {
    return absl::InvalidArgumentError("EmbeddedJournalOptions.dir is empty");
  }
  if (options.partition_count < 1 ||
      options.partition_count > kEmbeddedJournalPartitionCountMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EmbeddedJournalOptions.partition_count ", options.partition_count,
        " outside [1, ", kEmbeddedJournalPartitionCountMax, "]"));
  }
  if (options.group_commit_records_max < 1) {
    return absl::InvalidArgumentError(
        "EmbeddedJournalOptions.group_commit_records_max must be >= 1");
  }
  auto core = std::make_shared<Core>(options);
  absl::Status status = core->Open();
  if (!status.ok()) return status;
  return std::unique_ptr<EmbeddedJournal>(new EmbeddedJournal(std::move(core)));
}

EmbeddedJournal::EmbeddedJournal(std::shared_ptr<Core> core)
    : core_(std::move(core)) {}

EmbeddedJournal::~EmbeddedJournal() = default;

int32_t EmbeddedJournal::partition_count() const {
  return core_->partition_count();
}

absl::StatusOr<Offset> EmbeddedJournal::Append(
    PartitionId partition, std::vector<JournalEntry> entries) {
  return core_->Append(partition, std::move(entries));
}

absl::Status EmbeddedJournal::PartitionDamage(PartitionId partition) {
  return core_->PartitionDamage(partition);
}

absl::StatusOr<Offset> EmbeddedJournal::EndOffset(PartitionId partition) {
  return core_->EndOffset(partition);
}

absl::StatusOr<std::unique_ptr<JournalReader>> EmbeddedJournal::OpenReader(
    const std::vector<std::pair<PartitionId, Offset>>& start) {
  std::vector<embedded_journal_internal::Reader::Cursor> cursors;
  absl::flat_hash_set<int32_t> seen;
  for (const auto& [partition, offset] : start) {
    absl::StatusOr<Offset> end = core_->EndOffset(partition);
    if (!end.ok()) return end.status();
    if (!seen.insert(partition.value()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "partition ", partition.value(), " listed twice in OpenReader"));
    }
    if (offset.value() < 0 || offset > *end) {
      return absl::OutOfRangeError(
          absl::StrCat("start offset ", offset.value(), " of partition ",
                       partition.value(), " outside [0, ", end->value(), "]"));
    }
    cursors.push_back({partition.value(), offset.value()});
  }
  return std::unique_ptr<JournalReader>(
      new embedded_journal_internal::Reader(core_, std::move(cursors)));
}

EmbeddedJournalStats EmbeddedJournal::stats() const { return core_->stats(); }

}  // namespace billing
