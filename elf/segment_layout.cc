#include "elf/segment_layout.h"

#include <fmt/core.h>

#include <algorithm>

#include "elf/target.h"

namespace elfhash::elf {
namespace {

// BFD's view of one output section (its asection): addresses, size and the two flags the layout
// reads. `load` is SEC_LOAD of the output: the section keeps file contents.
struct Sec {
  LaidOutSection* l = nullptr;
  uint64_t vma = 0, lma = 0, size = 0;
  uint64_t align = 1;  // 1 << alignment_power (bfd_log2 rounds sh_addralign up to a power of two)
  bool load = false, tls = false, alloc = false;
  uint32_t target_index = 0;  // position in its segment before sorting (elf_sort_sections' last key)
};

// bfd's struct elf_segment_map, as copy_elf_program_header or rewrite_elf_program_header fills it.
// `in_idx` is the input segment it came from (a rewrite can split one into several maps).
struct Map {
  uint32_t idx = 0, in_idx = 0, type = 0, flags = 0;
  uint64_t paddr = 0, align = 0, p_size = 0, vaddr_offset = 0;
  bool paddr_valid = false, align_valid = false, size_valid = false, includes_filehdr = false, includes_phdrs = false;
  std::vector<Sec*> secs;
};

// An input section as rewrite_elf_program_header sees it (ibfd->sections: input order, removed ones
// included), with the output section it became (nullptr: removed).
struct InSec {
  const SectionHeader* h = nullptr;
  uint32_t index = 0;
  uint64_t lma = 0;
  Sec* out = nullptr;
  bool mark = false;  // segment_mark: already given to a PT_LOAD map by a split
};

// bfd's align_power (wraps) and BFD_ALIGN (saturates), for a power-of-two alignment.
uint64_t align_power(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
uint64_t bfd_align(uint64_t v, uint64_t a) { return v + (a - 1) >= v ? (v + (a - 1)) & ~(a - 1) : ~uint64_t{0}; }

uint64_t bfd_alignment(uint64_t a) {
  if (a <= 1) return 1;
  uint64_t p = 1;
  while (p < a && p < (uint64_t{1} << 62)) p <<= 1;
  return p < a ? 1 : p;  // rewrite_elf_program_header discards an alignment of 2^63 or more
}

bool tbss_special(const SectionHeader& h, const ProgramHeader& p) {
  return (h.flags & SHF_TLS) && h.type == SHT_NOBITS && p.type != PT_TLS;
}

// include/elf/internal.h ELF_SECTION_IN_SEGMENT (check_vma, not strict), on the input's headers.
bool in_segment(const SectionHeader& h, const ProgramHeader& p) {
  const bool tls = h.flags & SHF_TLS, alloc = h.flags & SHF_ALLOC;
  if (tls ? !(p.type == PT_TLS || p.type == PT_GNU_RELRO || p.type == PT_LOAD) : (p.type == PT_TLS || p.type == PT_PHDR))
    return false;
  const bool load_like = p.type == PT_LOAD || p.type == PT_DYNAMIC || p.type == PT_GNU_EH_FRAME ||
                         p.type == PT_GNU_STACK || p.type == PT_GNU_RELRO || p.type == PT_GNU_SFRAME ||
                         (p.type >= PT_GNU_MBIND_LO && p.type <= PT_GNU_MBIND_HI);
  if (!alloc && load_like) return false;
  const uint64_t size = tbss_special(h, p) ? 0 : h.size;
  if (h.type != SHT_NOBITS && !(h.offset >= p.offset && h.offset - p.offset + size <= p.filesz)) return false;
  if (alloc && !(h.addr >= p.vaddr && h.addr - p.vaddr + size <= p.memsz)) return false;
  if ((p.type == PT_DYNAMIC || p.type == PT_NOTE) && h.size == 0 && p.memsz != 0) {
    const bool inside_file = h.type == SHT_NOBITS || (h.offset > p.offset && h.offset - p.offset < p.filesz);
    const bool inside_mem = !alloc || (h.addr > p.vaddr && h.addr - p.vaddr < p.memsz);
    return inside_file && inside_mem;
  }
  return true;
}

// bfd/elf.c _bfd_elf_make_section_from_shdr: when every p_paddr is 0 and there are several
// non-empty PT_LOADs, an allocated section's load address is its address (one answer per file).
bool lma_is_address(std::span<const ProgramHeader> phdrs) {
  unsigned nload = 0;
  for (const auto& p : phdrs) {
    if (p.paddr != 0) return false;
    if (p.type == PT_LOAD && p.memsz != 0) ++nload;
  }
  return nload > 1;
}

// Otherwise it comes from the PT_LOAD (or PT_TLS) segment holding the section, by file offset if it
// has contents, else by address.
uint64_t input_lma(const SectionHeader& h, std::span<const ProgramHeader> phdrs) {
  uint64_t lma = h.addr;
  for (const auto& p : phdrs) {
    if (!(((p.type == PT_LOAD && !(h.flags & SHF_TLS)) || p.type == PT_TLS) && in_segment(h, p))) continue;
    lma = h.type == SHT_NOBITS ? p.paddr + h.addr - p.vaddr : p.paddr + h.offset - p.offset;
    if (h.addr >= p.vaddr && h.addr + h.size <= p.vaddr + p.memsz) break;
  }
  return lma;
}

// bfd/elf.c elf_sort_sections: by load address, then address, sections without file or TLS
// contents last, then by loaded size, then by their order in the segment.
bool section_before(const Sec* a, const Sec* b) {
  if (a->lma != b->lma) return a->lma < b->lma;
  if (a->vma != b->vma) return a->vma < b->vma;
  auto to_end = [](const Sec* s) { return !s->load && !s->tls && s->size != 0; };
  if (to_end(a) != to_end(b)) return !to_end(a);
  const uint64_t sa = a->load ? a->size : 0, sb = b->load ? b->size : 0;
  if (sa != sb) return sa < sb;
  return a->target_index < b->target_index;
}

// The layout tests every section against every segment and keeps the pairs that match: a bound on
// that product bounds both time and memory for a hostile header table (real executables: tens of
// segments times at most some thousands of sections).
constexpr uint64_t kMaxSectionSegmentPairs = uint64_t{1} << 22;

// rewrite_elf_program_header's tests on an input section against an input segment (bfd/elf.c
// segment_size, section_size, is_contained_by with load addresses, is_note).
uint64_t segment_size(const ProgramHeader& p) { return std::max(p.memsz, p.filesz); }

uint64_t section_size(uint64_t size, bool contents, bool tls, const ProgramHeader& p) {
  return contents || !tls || p.type == PT_TLS ? size : 0;
}

bool contained(uint64_t lma, uint64_t ssize, uint64_t seg_addr, const ProgramHeader& p) {
  const uint64_t seg = segment_size(p);
  return lma >= seg_addr && seg >= ssize && lma - seg_addr <= seg - ssize;
}

bool is_note(const SectionHeader& h, const ProgramHeader& p) {
  return p.type == PT_NOTE && h.type == SHT_NOTE && h.offset >= p.offset && p.filesz >= h.size &&
         h.offset - p.offset <= p.filesz - h.size;
}

bool out_contained(const Sec& s, const Map& m, const ProgramHeader& p) {
  return contained(s.lma, section_size(s.size, s.load || s.l->out->type != SHT_NOBITS, s.tls, p), m.paddr, p);
}

class Layout {
 public:
  Layout(const ElfFile& in, std::span<LaidOutSection> sections) : in_(in), sections_(sections) {}
  Result<SegmentLayout> run(SegmentMode mode);

 private:
  Error err(uint32_t in_index, std::string msg) const {
    return make_error(in_.path(), in_index ? in_.shdr_offset(in_index) : kNoOffset,
                      fmt::format("segment layout: {}; elfhash cannot lay this file out as binutils does", msg));
  }
  Error seg_err(size_t i, std::string msg) const {
    return make_error(in_.path(), in_.header().phoff + i * in_.header().phentsize,
                      fmt::format("segment layout: segment {}: {}; elfhash cannot lay this file out as binutils does",
                                  i, msg));
  }
  Status build_sections();
  Status check_paging(SegmentMode mode);
  void build_maps();
  Status build_rewrite_maps();
  Status check_rewrite_input(uint64_t& maxpagesize) const;
  std::vector<InSec> rewrite_inputs() const;
  bool in_input_segment(const InSec& is, const ProgramHeader& p) const;
  Status rewrite_segment(std::vector<InSec>& ins, uint32_t i, uint64_t maxpagesize, bool paddr_valid,
                         Map*& phdr_adjust, uint32_t& phdr_adjust_num);
  Status split_segment(std::vector<InSec*>& cands, const ProgramHeader& seg, uint32_t i, uint64_t maxpagesize,
                       bool paddr_valid);
  void sort();
  Status place_load_segments();
  Status place_segment(Map& m);
  Status place_sections(Map& m, ProgramHeader& p, uint64_t& off_adjust);
  void finish_other_segments();
  Status check_placed() const;
  uint64_t headers_of(const Map& m) const;

  const ElfFile& in_;
  std::span<LaidOutSection> sections_;
  std::vector<Sec> secs_;
  std::vector<Map> maps_;     // output order
  std::vector<Map*> sorted_;  // elf_sort_segments order
  std::vector<ProgramHeader> phdrs_;
  std::vector<bool> placed_;  // per section: given a file position by a PT_LOAD
  Map* phdr_load_ = nullptr;
  bool d_paged_ = true;  // D_PAGED of the input, which the output inherits
  uint64_t off_ = 0, phoff_ = 0, maxpagesize_ = 1;
};

Status Layout::build_sections() {
  const auto& phdrs = in_.segments();
  const bool lma_is_addr = lma_is_address(phdrs);
  secs_.resize(sections_.size());
  for (size_t i = 0; i < sections_.size(); ++i) {
    LaidOutSection& l = sections_[i];
    Sec& s = secs_[i];
    s.l = &l;
    s.alloc = l.out->flags & SHF_ALLOC;
    s.vma = l.out->addr;
    s.lma = s.alloc && l.in && !lma_is_addr ? input_lma(*l.in, phdrs) : s.vma;
    s.size = l.out->size;
    s.align = bfd_alignment(l.out->addralign);
    s.load = s.alloc && l.out->type != SHT_NOBITS;
    s.tls = l.out->flags & SHF_TLS;
    // The rewrite only takes allocated sections and notes into segments; a non-allocated section
    // inside a segment would need the file position binutils gives it before the segments'.
    if (!s.alloc && l.in)
      for (size_t k = 0; k < phdrs.size(); ++k)
        if (phdrs[k].type != PT_NULL && in_segment(*l.in, phdrs[k]))
          return err(l.in_index, fmt::format("non-allocated section inside segment {}", k));
  }
  placed_.assign(secs_.size(), false);
  return ok_status();
}

// bfd/elfcode.h elf_object_p: a file with program headers is D_PAGED unless a loaded section's
// address and offset disagree modulo the target's minimum page size. The copy only needs it where
// a segment has no file bytes (BFD's maxpagesize is then 1), so a machine without a known page size
// keeps the demand-paged answer there; the rewrite derives alignments from it and refuses.
Status Layout::check_paging(SegmentMode mode) {
  const uint32_t page = target_rules(in_.header().machine).min_page_size;
  if (page == 0) {
    if (mode == SegmentMode::kRewrite)
      return err(0, fmt::format("rewriting the program headers needs the page size of machine {}, which elfhash "
                                "does not know",
                                in_.header().machine));
    return ok_status();
  }
  const auto& shdrs = in_.sections();
  for (size_t i = 1; i < shdrs.size(); ++i) {
    const SectionHeader& h = shdrs[i];
    if (h.size != 0 && (h.flags & SHF_ALLOC) && h.type != SHT_NOBITS && (h.addr - h.offset) % page != 0)
      d_paged_ = false;
  }
  return ok_status();
}

// bfd/elf.c copy_elf_program_header: one map per input segment holding the sections it covers.
void Layout::build_maps() {
  const FileHeader& eh = in_.header();
  const auto& phdrs = in_.segments();
  bool any_paddr = false;
  for (const auto& p : phdrs) any_paddr |= p.paddr != 0;
  const uint64_t phdrs_size = uint64_t{eh.phnum ? phdrs.size() : 0} * eh.phentsize;
  bool phdr_included = false;
  maps_.resize(phdrs.size());
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const ProgramHeader& seg = phdrs[i];
    Map& m = maps_[i];
    m.idx = m.in_idx = static_cast<uint32_t>(i);
    m.type = seg.type;
    m.flags = seg.flags;
    m.paddr = seg.paddr;
    m.paddr_valid = any_paddr;
    m.align = seg.align;
    m.align_valid = true;  // PT_GNU_STACK always; the others by elf_is_p_align_valid (no 2.40 target sets p_align)
    if (seg.type == PT_GNU_RELRO || seg.type == PT_GNU_STACK) {
      m.p_size = seg.memsz;  // binutils keeps these two sizes as they were
      m.size_valid = true;
    }
    m.includes_filehdr = seg.offset == 0 && seg.filesz >= eh.ehsize;
    if (!phdr_included || seg.type != PT_LOAD) {
      m.includes_phdrs = seg.offset <= eh.phoff && seg.offset + seg.filesz >= eh.phoff + phdrs_size;
      if (seg.type == PT_LOAD && m.includes_phdrs) phdr_included = true;
    }
    const Sec* lowest = nullptr;
    for (size_t k = 0; k < secs_.size(); ++k) {
      Sec& s = secs_[k];
      if (!s.l->in || !in_segment(*s.l->in, seg)) continue;  // an added section is in no segment
      s.target_index = static_cast<uint32_t>(m.secs.size());
      m.secs.push_back(&s);
      if (!s.alloc) continue;
      if (!lowest || s.lma < lowest->lma) lowest = &s;
      // A p_paddr that disagrees with a section's load address is not kept (the flags are the
      // output's: objcopy clears the input section's SEC_LOAD before this runs).
      const uint64_t seg_off = s.load ? s.l->in->offset - seg.offset : s.l->in->addr - seg.vaddr;
      if (s.lma - seg.paddr != seg_off) m.paddr_valid = false;
    }
    if (m.secs.empty()) {
      m.vaddr_offset = seg.vaddr;
    } else if (m.paddr_valid) {
      m.vaddr_offset = m.paddr + headers_of(m) - (lowest ? lowest->lma : 0);
    }
  }
}

// The ELF and program headers a map starts with, counted with the input's e_phnum (as both
// binutils functions do, before the output's number is known).
uint64_t Layout::headers_of(const Map& m) const {
  const FileHeader& eh = in_.header();
  return (m.includes_filehdr ? eh.ehsize : 0) +
         (m.includes_phdrs ? uint64_t{eh.phnum ? in_.segments().size() : 0} * eh.phentsize : 0);
}

// What rewrite_elf_program_header does that elfhash does not follow is refused here: PT_LOADs it
// would merge (overlapping segments), a Solaris PT_INTERP without an address, demand-paged
// PT_LOADs without an alignment (binutils then takes the target's maximum page size).
// `maxpagesize` is copy_private_bfd_data's: the largest PT_LOAD alignment of the input.
Status Layout::check_rewrite_input(uint64_t& maxpagesize) const {
  const auto& phdrs = in_.segments();
  maxpagesize = 0;
  std::vector<const ProgramHeader*> loads;
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const ProgramHeader& p = phdrs[i];
    if (p.type == PT_INTERP && p.vaddr == 0 && p.paddr == 0 && p.memsz == 0 && p.filesz > 0)
      return seg_err(i, "a PT_INTERP without an address (binutils gives it its section's)");
    if (p.type != PT_LOAD) continue;
    if (d_paged_ && (p.align <= 1 || p.align > (uint64_t{1} << 62)))
      return seg_err(i, fmt::format("PT_LOAD alignment {:#x}: binutils would use the target's page size", p.align));
    maxpagesize = std::max(maxpagesize, p.align);
    auto after = [](const ProgramHeader& a, const ProgramHeader& b, bool phys) {
      const uint64_t a0 = phys ? a.paddr : a.vaddr, b0 = phys ? b.paddr : b.vaddr;
      return a0 >= b0 + segment_size(b);
    };
    for (const ProgramHeader* q : loads)
      if (!(after(p, *q, false) || after(*q, p, false)) && !(after(p, *q, true) || after(*q, p, true)))
        return seg_err(i, "overlaps another PT_LOAD (binutils merges them)");
    loads.push_back(&p);
    if (loads.size() > 4096) return seg_err(i, "more than 4096 PT_LOAD segments");
  }
  return ok_status();
}

std::vector<InSec> Layout::rewrite_inputs() const {
  const auto& shdrs = in_.sections();
  const auto& phdrs = in_.segments();
  const bool lma_is_addr = lma_is_address(phdrs);
  std::vector<Sec*> by_in(shdrs.size(), nullptr);
  for (Sec& s : const_cast<std::vector<Sec>&>(secs_))
    if (s.l->in) by_in[s.l->in_index] = &s;
  std::vector<InSec> ins;
  for (uint32_t i = 1; i < shdrs.size(); ++i) {
    const SectionHeader& h = shdrs[i];
    if (!(h.flags & SHF_ALLOC) && h.type != SHT_NOTE) continue;  // the only kinds a segment can take
    const uint64_t lma = (h.flags & SHF_ALLOC) && !lma_is_addr ? input_lma(h, phdrs) : h.addr;
    ins.push_back(InSec{&h, i, lma, by_in[i], false});
  }
  return ins;
}

// IS_SECTION_IN_INPUT_SEGMENT, on the input section (load addresses against p_paddr: no target
// elfhash knows sets want_p_paddr_set_to_zero).
bool Layout::in_input_segment(const InSec& is, const ProgramHeader& p) const {
  const SectionHeader& h = *is.h;
  const bool alloc = h.flags & SHF_ALLOC, tls = h.flags & SHF_TLS;
  const uint64_t ssize = section_size(h.size, h.type != SHT_NOBITS, tls, p);
  if (!((contained(is.lma, ssize, p.paddr, p) && alloc) || is_note(h, p))) return false;
  if (p.type == PT_GNU_STACK || (p.type == PT_TLS && !tls)) return false;
  if (p.type != PT_LOAD && p.type != PT_TLS && tls) return false;
  if (p.type == PT_DYNAMIC && ssize == 0 && (p.paddr ? p.paddr == is.lma : p.vaddr == h.addr) &&
      in_.section_name(is.index) != ".dynamic")
    return false;
  return !(p.type == PT_LOAD && is.mark);
}

// bfd/elf.c rewrite_elf_program_header: binutils builds the segment list again from the input's
// segments and the sections that are left in them. PT_GNU_RELRO goes, every alignment but a
// demand-paged PT_LOAD's is recomputed from the sections, PT_GNU_STACK loses its size.
Status Layout::build_rewrite_maps() {
  uint64_t maxpagesize = 0;
  EH_TRY(check_rewrite_input(maxpagesize));
  const auto& phdrs = in_.segments();
  bool paddr_valid = false;
  for (const auto& p : phdrs) paddr_valid |= p.paddr != 0;
  std::vector<InSec> ins = rewrite_inputs();
  if (uint64_t{ins.size()} * phdrs.size() > kMaxSectionSegmentPairs)
    return err(0, fmt::format("{} sections times {} segments is over the bound of {} pairs", ins.size(), phdrs.size(),
                              kMaxSectionSegmentPairs));
  Map* phdr_adjust = nullptr;
  uint32_t phdr_adjust_num = 0;
  maps_.reserve(phdrs.size() + ins.size());  // a split adds at most one map per section: no reallocation
  for (uint32_t i = 0; i < phdrs.size(); ++i) {
    if (phdrs[i].type == PT_NULL || phdrs[i].type == PT_GNU_RELRO) continue;  // "Remove PT_GNU_RELRO segment"
    EH_TRY(rewrite_segment(ins, i, maxpagesize, paddr_valid, phdr_adjust, phdr_adjust_num));
  }
  for (size_t k = 0; k < maps_.size(); ++k) maps_[k].idx = static_cast<uint32_t>(k);
  // The program headers were counted with the input's number; the PT_PHDR follows the map holding them.
  if (phdr_adjust) {
    const uint64_t count = maps_.size(), phentsize = in_.header().phentsize;
    if (count > phdr_adjust_num) phdr_adjust->paddr -= (count - phdr_adjust_num) * phentsize;
    for (Map& m : maps_)
      if (m.type == PT_PHDR) {
        m.paddr = phdr_adjust->paddr + (phdr_adjust->includes_filehdr ? in_.header().ehsize : 0);
        break;
      }
  }
  return ok_status();
}

Status Layout::rewrite_segment(std::vector<InSec>& ins, uint32_t i, uint64_t maxpagesize, bool paddr_valid,
                               Map*& phdr_adjust, uint32_t& phdr_adjust_num) {
  const FileHeader& eh = in_.header();
  const ProgramHeader& seg = in_.segments()[i];
  const InSec* first = nullptr;
  std::vector<InSec*> cands;  // the sections of the segment that are in the output, in input order
  for (InSec& is : ins) {
    if (!in_input_segment(is, seg)) continue;
    if (!first) first = &is;
    if (is.out) cands.push_back(&is);
  }
  for (const InSec* c : cands)
    if (!c->out->alloc) return err(c->index, fmt::format("non-allocated note inside PT_NOTE segment {}", i));
  Map& m = maps_.emplace_back();
  m.in_idx = i;
  m.type = seg.type;
  m.flags = seg.flags;
  if (seg.type == PT_LOAD && d_paged_ && maxpagesize > 1 && seg.align > 1) {
    m.align = std::min(seg.align, maxpagesize);
    m.align_valid = true;
  }
  // The first section gone, the segment's physical address is not kept.
  if (!first || first->out) {
    m.paddr = seg.paddr;
    m.paddr_valid = paddr_valid;
  }
  bool phdr_included = false;
  for (const Map& o : maps_)
    if (&o != &m && o.type == PT_LOAD && o.includes_phdrs) phdr_included = true;
  m.includes_filehdr = seg.offset == 0 && seg.filesz >= eh.ehsize;
  if (!phdr_included || seg.type != PT_LOAD) {
    const uint64_t phdrs_size = uint64_t{eh.phnum ? in_.segments().size() : 0} * eh.phentsize;
    m.includes_phdrs = seg.offset <= eh.phoff && seg.offset + seg.filesz >= eh.phoff + phdrs_size;
  }
  if (cands.empty()) {
    m.vaddr_offset = seg.vaddr;
    return ok_status();
  }
  // Step one: do the sections still fit the segment where it was?
  const Sec* matching = nullptr;
  const Sec* suggested = nullptr;
  size_t fitted = 0;
  for (size_t k = 0; k < cands.size(); ++k) {
    Sec& o = *cands[k]->out;
    if (!paddr_valid && seg.vaddr != 0 && k == 0 && o.lma != 0 &&
        align_power(seg.vaddr + headers_of(m), o.align) == o.vma)
      m.paddr = seg.vaddr;  // the Solaris linker's zero p_paddr
    if (out_contained(o, m, seg) || is_note(*cands[k]->h, seg)) {
      if (!matching || o.lma < matching->lma) matching = &o;
      ++fitted;
    } else if (!suggested) {
      suggested = &o;
    }
  }
  if (fitted == cands.size()) {
    for (InSec* c : cands) {
      c->out->target_index = static_cast<uint32_t>(m.secs.size());
      m.secs.push_back(c->out);
    }
    if (paddr_valid) m.vaddr_offset = m.paddr + headers_of(m) - matching->lma;
    return ok_status();
  }
  // Step two: the segment starts at the lowest section that fitted (else the first that did not).
  if (!matching) matching = suggested;
  m.paddr = matching->lma;
  if (m.includes_phdrs) {
    m.paddr -= uint64_t{eh.phnum ? in_.segments().size() : 0} * eh.phentsize;
    phdr_adjust = &m;
    phdr_adjust_num = static_cast<uint32_t>(in_.segments().size());
  }
  if (m.includes_filehdr) {
    uint64_t align = matching->align;
    m.paddr -= eh.ehsize;
    if (seg.align != 0 && seg.align < align) align = seg.align;
    m.paddr &= ~(align - 1);
  }
  return split_segment(cands, seg, i, maxpagesize, paddr_valid);
}

// Step three of rewrite_elf_program_header: fill the map with the sections that fit, without gaps
// of more than a page between them, then start a new map at the first section left over.
Status Layout::split_segment(std::vector<InSec*>& cands, const ProgramHeader& seg, uint32_t i, uint64_t maxpagesize,
                             bool paddr_valid) {
  if (uint64_t{cands.size()} * cands.size() > kMaxSectionSegmentPairs)
    return seg_err(i, fmt::format("splitting {} sections is over the bound", cands.size()));
  if (maxpagesize == 0) return seg_err(i, "splitting it needs the target's page size (no PT_LOAD is aligned)");
  const uint64_t page = std::max<uint64_t>(maxpagesize, 1);
  auto page_up = [&](uint64_t v) { return bfd_align(v, page); };
  size_t left = cands.size();
  for (size_t round = 0; left > 0; ++round) {
    Map& m = maps_.back();
    const Sec* suggested = nullptr;
    for (InSec*& c : cands) {
      if (!c) continue;
      Sec& o = *c->out;
      if (!(out_contained(o, m, seg) || is_note(*c->h, seg))) {
        if (!suggested) suggested = &o;
        continue;
      }
      if (m.secs.empty()) {
        if (align_power(m.paddr + headers_of(m), o.align) != o.lma)
          return err(c->index, "the first section of a rewritten segment does not start it (binutils: \"sorry\")");
      } else {
        const Sec& prev = *m.secs.back();
        if (page_up(prev.lma + prev.size) < page_up(o.lma) || prev.lma + prev.size > o.lma) {
          if (!suggested) suggested = &o;
          continue;
        }
      }
      o.target_index = static_cast<uint32_t>(m.secs.size());
      m.secs.push_back(&o);
      if (seg.type == PT_LOAD) c->mark = true;
      c = nullptr;
      --left;
    }
    if (left == 0) break;
    if (!suggested || round >= cands.size()) return seg_err(i, "its sections cannot be split into segments");
    Map& n = maps_.emplace_back();
    n.in_idx = i;
    n.type = seg.type;
    n.flags = seg.flags;
    n.paddr = suggested->lma;
    n.paddr_valid = paddr_valid;
  }
  return ok_status();
}

// The order assign_file_positions_for_load_sections works in: sections by elf_sort_sections within
// each segment, segments by elf_sort_segments (by type with PT_NULL last, the one holding the file
// header first, PT_LOADs by load address, then input order).
void Layout::sort() {
  for (Map& m : maps_)
    if (m.secs.size() > 1) std::sort(m.secs.begin(), m.secs.end(), section_before);
  auto key = [](const Map* m) -> uint64_t {
    if (m->paddr_valid) return m->paddr;
    return m->secs.empty() ? 0 : m->secs[0]->lma + m->vaddr_offset;
  };
  for (Map& m : maps_) sorted_.push_back(&m);
  std::sort(sorted_.begin(), sorted_.end(), [&](const Map* a, const Map* b) {
    const uint32_t ta = a->type, tb = b->type;
    if (ta != tb) {
      if (ta == PT_NULL || tb == PT_NULL) return tb == PT_NULL;
      return ta < tb;
    }
    if (a->includes_filehdr != b->includes_filehdr) return a->includes_filehdr;
    if (ta == PT_LOAD && key(a) != key(b)) return key(a) < key(b);
    return a->idx < b->idx;
  });
}

Status Layout::place_load_segments() {
  const uint64_t n = maps_.size(), phsz = in_.phdr_size(), ehsize = in_.ehdr_size();
  phdrs_.assign(n, ProgramHeader{});
  phoff_ = n ? ehsize : 0;
  off_ = ehsize;
  for (Map* m : sorted_) {
    if (m->type != PT_LOAD) break;
    if (m->includes_phdrs) {
      phdr_load_ = m;
      break;
    }
  }
  if (!phdr_load_) off_ += n * phsz;
  for (Map* m : sorted_) EH_TRY(place_segment(*m));
  return ok_status();
}

// One iteration of assign_file_positions_for_load_sections' segment loop. p_flags are always the
// input's (both binutils functions set p_flags_valid). A demand-paged PT_LOAD is aligned to the
// running maximum page size, which its own valid alignment sets; another segment keeps a valid
// alignment, or takes the largest of its sections' (8 or 4 when it has none).
Status Layout::place_segment(Map& m) {
  ProgramHeader& p = phdrs_[m.idx];
  const uint32_t type = m.type;
  const uint64_t headers = maps_.size() * in_.phdr_size(), ehsize = in_.ehdr_size();
  p.type = type;
  p.flags = m.flags;
  p.vaddr = m.secs.empty() ? m.vaddr_offset : m.secs[0]->vma + m.vaddr_offset;
  p.paddr = m.paddr_valid ? m.paddr : m.secs.empty() ? 0 : m.secs[0]->lma + m.vaddr_offset;
  if (type == PT_LOAD && d_paged_) {
    if (m.align_valid) maxpagesize_ = m.align;
    p.align = maxpagesize_;
  } else if (m.align_valid) {
    p.align = m.align;
  } else if (m.secs.empty()) {
    p.align = in_.is64() ? 8 : 4;  // 1 << log_file_align
  }
  if (&m == phdr_load_) {
    if (!m.includes_filehdr) p.offset = off_;
    off_ += headers;
  }
  bool no_contents = false;
  uint64_t off_adjust = 0;
  if (type == PT_LOAD && !m.secs.empty()) {
    no_contents = std::none_of(m.secs.begin(), m.secs.end(), [](const Sec* s) { return s->l->out->type != SHT_NOBITS; });
    uint64_t align = p.align;
    if (!m.align_valid) {
      align = 1;
      for (const Sec* s : m.secs) align = std::max(align, s->align);
      if (align < maxpagesize_)
        align = maxpagesize_;
      else
        m.align = align;  // p_align_p: the segment takes its sections' alignment at the end
    }
    align = align ? align : 1;
    off_adjust = (p.vaddr - off_) % align;  // vma_page_aligned_bias
    off_ += off_adjust;
    if (!no_contents) off_adjust = 0;  // a segment without file bytes is aligned for itself only
  } else if (type == PT_DYNAMIC && m.secs.size() > 1 && m.secs[0]->l->name != ".dynamic") {
    return seg_err(m.in_idx, "the first section of PT_DYNAMIC is not .dynamic");
  } else if (type == PT_NOTE) {
    for (const Sec* s : m.secs)
      if (s->l->out->type != SHT_NOTE) return err(s->l->in_index, "a section inside PT_NOTE is not SHT_NOTE");
  }
  if (m.includes_filehdr) {
    p.filesz = p.memsz = ehsize;
    if (type == PT_LOAD) {
      if (!m.secs.empty()) {
        if (p.vaddr < off_ || (!m.paddr_valid && p.paddr < off_))
          return seg_err(m.in_idx, "not enough room for program headers");
        p.vaddr -= off_;
        if (!m.paddr_valid) p.paddr -= off_;
      }
    } else if (sorted_[0]->includes_filehdr) {
      const ProgramHeader& fh = phdrs_[sorted_[0]->idx];
      p.vaddr = fh.vaddr;
      if (!m.paddr_valid) p.paddr = fh.paddr;
    }
  }
  if (m.includes_phdrs) {
    p.filesz += headers;
    p.memsz += headers;
    if (!m.includes_filehdr) {
      if (type == PT_LOAD) {
        phoff_ = p.offset;
        if (!m.secs.empty()) {
          p.vaddr -= off_ - p.offset;
          if (!m.paddr_valid) p.paddr -= off_ - p.offset;
        }
      } else if (phdr_load_) {
        const ProgramHeader& ph = phdrs_[phdr_load_->idx];
        const uint64_t at = phdr_load_->includes_filehdr ? ehsize : 0;
        p.vaddr = ph.vaddr + at;
        if (!m.paddr_valid) p.paddr = ph.paddr + at;
        p.offset = ph.offset + at;
      } else {
        p.offset = ehsize;
      }
    }
  }
  if (type == PT_LOAD) {
    if (!m.includes_filehdr && !m.includes_phdrs) {
      p.offset = off_;
      // No file bytes: a p_offset within the first page, congruent to the address.
      if (no_contents) p.offset = off_ % std::max<uint64_t>({maxpagesize_, p.align, 1});
    } else {
      const uint64_t adjust = off_ - (p.offset + p.filesz);
      if (!no_contents) p.filesz += adjust;
      p.memsz += adjust;
    }
  }
  EH_TRY(place_sections(m, p, off_adjust));
  if (type == PT_LOAD && !m.align_valid && !m.secs.empty() && m.align) p.align = m.align;
  off_ -= off_adjust;
  if (type == PT_PHDR && !phdr_load_) return seg_err(m.in_idx, "PT_PHDR not covered by a PT_LOAD");
  return ok_status();
}

// The section loop of the same function: a section with contents goes at the running offset (zeros
// fill the bytes of NOBITS sections before it); a NOBITS section only takes the running offset,
// except that the first one of a segment also moves it to the section's address.
Status Layout::place_sections(Map& m, ProgramHeader& p, uint64_t& off_adjust) {
  const uint32_t type = m.type;
  for (size_t i = 0; i < m.secs.size(); ++i) {
    Sec& s = *m.secs[i];
    SectionHeader& oh = *s.l->out;
    const bool nobits = oh.type == SHT_NOBITS;
    if ((type == PT_LOAD || type == PT_TLS) && (!nobits || (s.alloc && (!s.tls || type == PT_TLS)))) {
      const uint64_t p_start = p.paddr, p_end = p_start + p.memsz, s_start = s.lma;
      uint64_t adjust = s_start - p_end;
      if (adjust != 0 && (s_start < p_end || p_end < p_start))
        return err(s.l->in_index, fmt::format("binutils would move the section's load address to {:#x}", p_end));
      p.memsz += adjust;
      if (type == PT_LOAD) {
        if (!nobits) {
          off_adjust = 0;
          if (p.filesz + adjust < p.memsz) adjust = p.memsz - p.filesz;  // zeros for the NOBITS bytes before it
        }
        if (!nobits || i == 0) {
          off_ += adjust;
          if (nobits) off_adjust += adjust;
        }
      }
      if (!nobits) p.filesz += adjust;
    }
    if (type == PT_LOAD) {
      oh.offset = off_;
      placed_[s.l - sections_.data()] = true;
      if (!nobits) off_ += oh.size;
    }
    if (!nobits) {
      p.filesz += oh.size;
      if (s.alloc) p.memsz += oh.size;
    } else if (s.alloc && (type == PT_TLS || !s.tls)) {
      p.memsz += oh.size;  // .tbss takes no room in the segments other than PT_TLS
    }
    if (!m.align_valid && (type != PT_LOAD || !d_paged_) && s.align > p.align) p.align = s.align;
  }
  return ok_status();
}

// assign_file_positions_for_non_load_sections, second half: PT_GNU_RELRO is found again from its
// first section and its kept size, PT_GNU_STACK keeps its size, and the other segments span their
// sections' new offsets.
void Layout::finish_other_segments() {
  auto tbss = [](const Sec* s) { return s->tls && !s->load; };
  for (Map& m : maps_) {
    ProgramHeader& p = phdrs_[m.idx];
    if (p.type == PT_GNU_RELRO) {
      const uint64_t start = m.secs.empty() ? 0 : m.secs[0]->vma, end = m.secs.empty() ? 0 : start + m.p_size;
      bool ok = false;
      const Map* lm = nullptr;  // the first PT_LOAD whose sections overlap the range
      for (size_t k = 0; start < end && k < maps_.size() && !lm; ++k) {
        const Map& c = maps_[k];
        if (phdrs_[c.idx].type != PT_LOAD || c.secs.empty()) continue;
        const Sec* last = c.secs.back();
        if (last->vma + (tbss(last) ? 0 : last->size) > start && c.secs[0]->vma < end) lm = &c;
      }
      for (size_t i = 0; lm && i < lm->secs.size() && !ok; ++i) {
        const Sec* s = lm->secs[i];
        if (!(s->vma >= start && s->vma < end && s->size != 0)) continue;
        const ProgramHeader& lp = phdrs_[lm->idx];
        p.vaddr = s->vma;
        p.paddr = s->lma;
        p.offset = s->l->out->offset;
        p.memsz = end - p.vaddr;
        p.filesz = p.memsz;
        // Trimmed to the PT_LOAD's file bytes (unsigned, as in bfd: no trim when that wraps).
        if (p.filesz > lp.vaddr + lp.filesz - p.vaddr) p.filesz = lp.vaddr + lp.filesz - p.vaddr;
        ok = true;
      }
      if (!ok) p = ProgramHeader{};
    } else if (p.type == PT_GNU_STACK) {
      if (m.size_valid) p.memsz = m.p_size;
    } else if (!m.secs.empty() && p.type != PT_LOAD && p.type != PT_PHDR) {
      p.filesz = 0;
      p.offset = m.secs[0]->l->out->offset;
      for (size_t i = m.secs.size(); i-- > 0;) {
        const SectionHeader& h = *m.secs[i]->l->out;
        if (h.type == SHT_NOBITS) continue;
        p.filesz = h.offset - p.offset + h.size;
        if (p.type == PT_NOTE && (h.flags & SHF_ALLOC)) p.memsz = p.filesz;
        break;
      }
    }
  }
}

Status Layout::check_placed() const {
  for (size_t i = 0; i < secs_.size(); ++i)
    if (secs_[i].alloc && !placed_[i]) return err(sections_[i].in_index, "an allocated section is in no PT_LOAD");
  return ok_status();
}

Result<SegmentLayout> Layout::run(SegmentMode mode) {
  if (uint64_t{sections_.size()} * in_.segments().size() > kMaxSectionSegmentPairs)
    return err(0, fmt::format("{} sections times {} segments is over the bound of {} pairs", sections_.size(),
                              in_.segments().size(), kMaxSectionSegmentPairs));
  EH_TRY(build_sections());
  EH_TRY(check_paging(mode));
  if (mode == SegmentMode::kRewrite)
    EH_TRY(build_rewrite_maps());
  else
    build_maps();
  for (const Map& m : maps_)
    if ((m.includes_filehdr || m.includes_phdrs) && m.type != PT_LOAD && m.type != PT_PHDR && !m.secs.empty())
      return seg_err(m.in_idx, "a segment other than PT_LOAD holds sections and the ELF or program headers");
  sort();
  EH_TRY(place_load_segments());
  EH_TRY(check_placed());
  finish_other_segments();
  return SegmentLayout{std::move(phdrs_), phoff_, off_};
}

}  // namespace

SegmentMode segment_mode(const ElfFile& in, std::span<const LaidOutSection> sections) {
  const auto& shdrs = in.sections();
  const auto& phdrs = in.segments();
  if (uint64_t{shdrs.size()} * phdrs.size() > kMaxSectionSegmentPairs) return SegmentMode::kCopy;  // the layout refuses
  std::vector<const SectionHeader*> out(shdrs.size(), nullptr);
  for (const LaidOutSection& l : sections)
    if (l.in) out[l.in_index] = l.out;
  for (uint32_t i = 1; i < shdrs.size(); ++i) {
    const SectionHeader& h = shdrs[i];
    if (std::none_of(phdrs.begin(), phdrs.end(), [&](const ProgramHeader& p) { return in_segment(h, p); })) continue;
    const SectionHeader* o = out[i];
    // BFD compares section flag words; elfhash's edits change them exactly where they change the ELF
    // flags, or give a NOBITS section contents (SEC_LOAD, SEC_HAS_CONTENTS). --only-keep-debug's
    // NOBITS are not a change: objcopy clears the input section's flags to match.
    if (!o || ((o->flags ^ h.flags) & ~uint64_t{SHF_INFO_LINK}) || (h.type == SHT_NOBITS && o->type != SHT_NOBITS) ||
        bfd_alignment(o->addralign) != bfd_alignment(h.addralign) || o->addr != h.addr)
      return SegmentMode::kRewrite;
  }
  return SegmentMode::kCopy;
}

Result<SegmentLayout> lay_out_segments(const ElfFile& in, std::span<LaidOutSection> sections, SegmentMode mode) {
  return Layout(in, sections).run(mode);
}

}  // namespace elfhash::elf
