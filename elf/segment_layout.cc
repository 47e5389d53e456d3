#include "elf/segment_layout.h"

#include <fmt/core.h>

#include <algorithm>

namespace elfhash::elf {
namespace {

// BFD's view of one output section (its asection): addresses, size and the two flags the layout
// reads. `load` is SEC_LOAD of the output: the section keeps file contents.
struct Sec {
  LaidOutSection* l = nullptr;
  uint64_t vma = 0, lma = 0, size = 0;
  bool load = false, tls = false, alloc = false;
  uint32_t target_index = 0;  // position in its segment before sorting (elf_sort_sections' last key)
};

// bfd's struct elf_segment_map, as copy_elf_program_header fills it.
struct Map {
  const ProgramHeader* in = nullptr;
  uint32_t idx = 0;
  uint64_t paddr = 0, align = 0, p_size = 0, vaddr_offset = 0;
  bool paddr_valid = false, size_valid = false, includes_filehdr = false, includes_phdrs = false;
  std::vector<Sec*> secs;
};

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

class Layout {
 public:
  Layout(const ElfFile& in, std::span<LaidOutSection> sections) : in_(in), sections_(sections) {}
  Result<SegmentLayout> run(bool removed_alloc);

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
  void build_maps();
  void sort();
  Status place_load_segments();
  Status place_segment(Map& m);
  Status place_sections(Map& m, ProgramHeader& p, uint64_t& off_adjust);
  void finish_other_segments();
  Status check_placed() const;

  const ElfFile& in_;
  std::span<LaidOutSection> sections_;
  std::vector<Sec> secs_;
  std::vector<Map> maps_;     // input order
  std::vector<Map*> sorted_;  // elf_sort_segments order
  std::vector<ProgramHeader> phdrs_;
  std::vector<bool> placed_;  // per section: given a file position by a PT_LOAD
  Map* phdr_load_ = nullptr;
  uint64_t off_ = 0, phoff_ = 0, maxpagesize_ = 1;
};

Status Layout::build_sections() {
  const auto& phdrs = in_.segments();
  const bool lma_is_addr = lma_is_address(phdrs);
  secs_.resize(sections_.size());
  for (size_t i = 0; i < sections_.size(); ++i) {
    LaidOutSection& l = sections_[i];
    if (!l.in) return err(0, "an added section makes binutils rewrite the program headers");
    Sec& s = secs_[i];
    s.l = &l;
    s.alloc = l.out->flags & SHF_ALLOC;
    s.vma = l.out->addr;
    s.lma = s.alloc && !lma_is_addr ? input_lma(*l.in, phdrs) : s.vma;
    s.size = l.out->size;
    s.load = s.alloc && l.out->type != SHT_NOBITS;
    s.tls = l.out->flags & SHF_TLS;
    if (!s.alloc)
      for (size_t k = 0; k < phdrs.size(); ++k)
        if (phdrs[k].type != PT_NULL && in_segment(*l.in, phdrs[k]))
          return err(l.in_index, fmt::format("non-allocated section inside segment {}", k));
  }
  placed_.assign(secs_.size(), false);
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
    m.in = &seg;
    m.idx = static_cast<uint32_t>(i);
    m.paddr = seg.paddr;
    m.paddr_valid = any_paddr;
    m.align = seg.align;
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
      if (!in_segment(*s.l->in, seg)) continue;
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
      uint64_t hdr_size = (m.includes_filehdr ? eh.ehsize : 0) + (m.includes_phdrs ? phdrs_size : 0);
      m.vaddr_offset = m.paddr + hdr_size - (lowest ? lowest->lma : 0);
    }
  }
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
    const uint32_t ta = a->in->type, tb = b->in->type;
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
    if (m->in->type != PT_LOAD) break;
    if (m->includes_phdrs) {
      phdr_load_ = m;
      break;
    }
  }
  if (!phdr_load_) off_ += n * phsz;
  for (Map* m : sorted_) EH_TRY(place_segment(*m));
  return ok_status();
}

// One iteration of assign_file_positions_for_load_sections' segment loop. The input's p_flags and
// p_align are kept (copy_elf_program_header sets p_flags_valid, and elf_is_p_align_valid holds on
// every 2.40 target: none sets a default p_align), so neither is recomputed from the sections.
Status Layout::place_segment(Map& m) {
  ProgramHeader& p = phdrs_[m.idx];
  const uint32_t type = m.in->type;
  const uint64_t headers = maps_.size() * in_.phdr_size(), ehsize = in_.ehdr_size();
  p.type = type;
  p.flags = m.in->flags;
  p.vaddr = m.secs.empty() ? m.vaddr_offset : m.secs[0]->vma + m.vaddr_offset;
  p.paddr = m.paddr_valid ? m.paddr : m.secs.empty() ? 0 : m.secs[0]->lma + m.vaddr_offset;
  p.align = m.align;
  if (type == PT_LOAD) maxpagesize_ = m.align;
  if (&m == phdr_load_) {
    if (!m.includes_filehdr) p.offset = off_;
    off_ += headers;
  }
  bool no_contents = false;
  uint64_t off_adjust = 0;
  if (type == PT_LOAD && !m.secs.empty()) {
    no_contents = std::none_of(m.secs.begin(), m.secs.end(), [](const Sec* s) { return s->l->out->type != SHT_NOBITS; });
    const uint64_t align = p.align ? p.align : 1;
    off_adjust = (p.vaddr - off_) % align;  // vma_page_aligned_bias
    off_ += off_adjust;
    if (!no_contents) off_adjust = 0;  // a segment without file bytes is aligned for itself only
  } else if (type == PT_DYNAMIC && m.secs.size() > 1 && m.secs[0]->l->name != ".dynamic") {
    return seg_err(m.idx, "the first section of PT_DYNAMIC is not .dynamic");
  } else if (type == PT_NOTE) {
    for (const Sec* s : m.secs)
      if (s->l->out->type != SHT_NOTE) return err(s->l->in_index, "a section inside PT_NOTE is not SHT_NOTE");
  }
  if (m.includes_filehdr) {
    p.filesz = p.memsz = ehsize;
    if (type == PT_LOAD) {
      if (!m.secs.empty()) {
        if (p.vaddr < off_ || (!m.paddr_valid && p.paddr < off_))
          return seg_err(m.idx, "not enough room for program headers");
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
  off_ -= off_adjust;
  if (type == PT_PHDR && !phdr_load_) return seg_err(m.idx, "PT_PHDR not covered by a PT_LOAD");
  return ok_status();
}

// The section loop of the same function: a section with contents goes at the running offset (zeros
// fill the bytes of NOBITS sections before it); a NOBITS section only takes the running offset,
// except that the first one of a segment also moves it to the section's address.
Status Layout::place_sections(Map& m, ProgramHeader& p, uint64_t& off_adjust) {
  const uint32_t type = m.in->type;
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

// The layout tests every section against every segment and keeps the pairs that match: a bound on
// that product bounds both time and memory for a hostile header table (real executables: tens of
// segments times at most some thousands of sections).
constexpr uint64_t kMaxSectionSegmentPairs = uint64_t{1} << 22;

Result<SegmentLayout> Layout::run(bool removed_alloc) {
  if (removed_alloc) return err(0, "a removed allocated section makes binutils rewrite the program headers");
  if (uint64_t{sections_.size()} * in_.segments().size() > kMaxSectionSegmentPairs)
    return err(0, fmt::format("{} sections times {} segments is over the bound of {} pairs", sections_.size(),
                              in_.segments().size(), kMaxSectionSegmentPairs));
  EH_TRY(build_sections());
  build_maps();
  for (const Map& m : maps_)
    if ((m.includes_filehdr || m.includes_phdrs) && m.in->type != PT_LOAD && m.in->type != PT_PHDR && !m.secs.empty())
      return seg_err(m.idx, "a segment other than PT_LOAD holds sections and the ELF or program headers");
  sort();
  EH_TRY(place_load_segments());
  EH_TRY(check_placed());
  finish_other_segments();
  return SegmentLayout{std::move(phdrs_), phoff_, off_};
}

}  // namespace

Result<SegmentLayout> lay_out_segments(const ElfFile& in, std::span<LaidOutSection> sections, bool removed_alloc) {
  return Layout(in, sections).run(removed_alloc);
}

}  // namespace elfhash::elf
