// Layout and encoding of an Object into an output file.
//
// Layout rules (docs/elf-engine.md): in a file with program headers, every allocated section keeps
// its offset, so no allocated byte moves and segments stay valid (bytes outside every section are
// zeros, as BFD writes them), and the program headers are the ones binutils computes for that layout
// (elf/segment_layout.h); --only-keep-debug, whose sections lose their bytes, has the segments laid
// out again as binutils does. Everything else is packed after that in the order GNU binutils uses: remaining
// sections in index order (each aligned to sh_addralign), then .symtab, .symtab_shndx, .strtab, then
// the relocation sections, then .shstrtab, then the section header table. In a relocatable file the
// packing starts right after the ELF header. Symbol and string tables are always rebuilt the way
// binutils builds them, which makes the output independent of the input's table layout.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <string>
#include <vector>

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/mapped_file.h"
#include "elf/object.h"
#include "elf/reader.h"

namespace elfhash::elf {

// One run of output bytes: copied from the input file (in_off >= 0) or from `bytes`.
struct Piece {
  uint64_t out_off = 0;
  uint64_t size = 0;
  int64_t in_off = -1;
  std::span<const uint8_t> bytes;
};

struct OutputPlan {
  uint64_t size = 0;
  std::vector<Piece> pieces;  // applied in order; later pieces overwrite earlier ones
  std::deque<std::vector<uint8_t>> buffers;
};

// The part of a large output that is the input's bytes, copied into the output's temp file on a
// background thread while the rest is planned: for a vmlinux the kernel copies ~250 MB of code, data
// and DWARF while .symtab and .strtab are rebuilt (a third of objcopy_vmlinux's time alone,
// docs/benchmarks.md). Ranges come in two batches: the allocated sections of a linked file, known from
// the section headers before the edit is even loaded (in_place_ranges), then what the planner knows
// once it has numbered the sections (plan_output). Both are predictions: write_plan checks every range
// against the finished plan, and a range that holds any byte the plan does not put there is zeroed
// and its pieces written again, so a wrong guess costs time, never bytes.
class EarlyCopy {
 public:
  // The temp file for `path`; nullptr when the input is too small to be worth a thread or the output
  // is not a regular file. An error creating the output is left for write_plan to report, after the
  // errors planning finds (the order a run without the early copy reports them in).
  static std::unique_ptr<EarlyCopy> create(const MappedFile& input, const std::string& path, uint32_t mode,
                                           bool fsync, uint64_t min_bytes = kMinBytes);
  static constexpr uint64_t kMinBytes = 32ull << 20;
  ~EarlyCopy();  // stops the copy; the temp file goes unless write_plan committed it
  EarlyCopy(const EarlyCopy&) = delete;
  EarlyCopy& operator=(const EarlyCopy&) = delete;

  struct Range {
    uint64_t in_off = 0, out_off = 0, size = 0;
  };
  // Queues `ranges` for the copying thread, in order; a range overlapping one queued before (in the
  // output) is dropped. The thread starts once the queue holds min_bytes.
  void add(std::span<const Range> ranges);
  std::vector<Range> ranges() const;  // what is queued, by output offset
  uint64_t copied_bytes() const;      // their total size (all of it copied once write_plan ran)

 private:
  EarlyCopy(AtomicFile out, int in_fd, uint64_t min_bytes) : out_(std::move(out)), in_fd_(in_fd), min_bytes_(min_bytes) {}
  void run();
  void stop(bool drain);  // no more ranges; with !drain, those not started are dropped
  Status finish(const OutputPlan& plan, const MappedFile& input);
  friend Status write_plan(const OutputPlan&, const MappedFile&, const std::string&, uint32_t, bool, EarlyCopy*);
  std::optional<AtomicFile> out_;
  int in_fd_ = -1;
  uint64_t min_bytes_ = 0;
  mutable std::mutex mu_;
  std::condition_variable more_;
  std::vector<Range> queue_;                // in copy order; queue_[next_..] not started yet
  std::map<uint64_t, uint64_t> taken_;      // output begin -> end of every queued range
  size_t next_ = 0;
  bool closed_ = false;
  Status status_ = ok_status();
  std::thread thread_;
};

// The ranges of a linked file (one with program headers) that are its allocated sections: binutils
// keeps every one at its offset (layout rules above) unless the edit removes, changes or re-lays it out,
// which only the plan knows. Bounded by the file's size.
std::vector<EarlyCopy::Range> in_place_ranges(const ElfFile& elf);

// Plans the output of `o`. With `early`, starts it copying the input's bytes that keep their place
// (EarlyCopy) before building the symbol tables.
Result<OutputPlan> plan_output(Object& o, EarlyCopy* early = nullptr);

// What copied ranges (sorted by output offset, disjoint) hold of `plan`: a range is right when each of
// its bytes is a byte the plan copies from the same input offset, and a piece is done when it lies
// within a right range. nullopt when the plan's pieces overlap (later ones overwrite earlier ones, so
// no copied range can be trusted).
struct Coverage {
  std::vector<bool> done;      // by plan piece
  std::vector<bool> range_ok;  // by range
};
std::optional<Coverage> pieces_covered(const OutputPlan& plan, std::span<const EarlyCopy::Range> ranges);

// The output bytes in memory (tests, fuzzers, small files).
std::vector<uint8_t> render(const OutputPlan& plan, std::span<const uint8_t> input);
// Writes the output atomically to `path` with permissions `mode`.
// Writes the plan to `path` atomically (elf/atomic_file.h). Before the output replaces anything, the
// input is checked to be the file it was when opened (MappedFile::check_unchanged): a change during the
// run is an error and nothing is installed.
// With `early`, the output is the temp file it started (its copied pieces are not written again).
Status write_plan(const OutputPlan& plan, const MappedFile& input, const std::string& path, uint32_t mode,
                  bool fsync = false, EarlyCopy* early = nullptr);

}  // namespace elfhash::elf
