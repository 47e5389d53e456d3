// The kernel's v5 check (spec §7.2): every single-byte change of a signed module is rejected with the
// errno the kernel would return for the field it hits.
#include <gtest/gtest.h>

#include <cerrno>
#include <fmt/core.h>

#include "merkle/test_util.h"
#include "merkle/modsig/trailer.h"
#include "merkle/tree.h"
#include "merkle/modsig/verify.h"

namespace elfhash::merkle {
namespace {

struct Signed {
  ModuleHashesRoot root;
  std::vector<uint8_t> module;  // image + trailer
  size_t image_size = 0;
};

// Module at pos 3 of a 5-module tree (3 levels: the trailer is 140 bytes).
Signed make_signed() {
  std::vector<std::vector<uint8_t>> files;
  for (int i = 0; i < 5; ++i) files.push_back(testing::bytes(fmt::format("\x7f" "ELF module number {}", i)));
  Tree t = Tree::build(hash_buffers({files.begin(), files.end()}));
  Signed s{{t.levels(), t.root()}, files[3], files[3].size()};
  auto trailer = build_merkle_trailer(3, t.proof(3));
  s.module.insert(s.module.end(), trailer.begin(), trailer.end());
  return s;
}

// The errno the kernel returns when byte `i` of the signed module is XORed with `x` (spec §7.2).
VerifyCode expected_code(const Signed& s, size_t i, uint8_t x) {
  size_t proof_end = s.image_size + proof_size(s.root.levels);
  size_t info = proof_end, marker = proof_end + kSigInfoSize;
  if (i < proof_end) return VerifyCode::kMismatch;  // image, pos or a sibling hash
  if (i >= marker) return VerifyCode::kUnsigned;   // the marker no longer matches
  size_t field = i - info;
  if (field == 2) return VerifyCode::kUnsupported;  // id_type: the type check comes first
  if (field < 8) return VerifyCode::kMalformed;     // algo, hash, signer_len, key_id_len, pad
  std::vector<uint8_t> b(s.module.begin() + info, s.module.begin() + info + kSigInfoSize);
  b[field] ^= x;
  uint32_t sig_len = decode_sig_info(b.data()).sig_len;
  // mod_check_sig: sig_len >= len - 12 is EBADMSG; any other wrong length is ENOPKG in module_hash_check.
  return sig_len >= info ? VerifyCode::kMalformed : VerifyCode::kUnsupported;
}

TEST(Verify, IntactModuleVerifies) {
  Signed s = make_signed();
  auto r = verify_module(s.module, s.root);
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(s.module.size(), s.image_size + 140);
}

TEST(Verify, EverySingleByteChangeIsRejectedWithTheKernelErrno) {
  Signed s = make_signed();
  int counts[5] = {};
  for (size_t i = 0; i < s.module.size(); ++i) {
    for (uint8_t x : {0x01, 0x02, 0x80, 0xff}) {
      std::vector<uint8_t> m = s.module;
      m[i] ^= x;
      VerifyCode want = expected_code(s, i, x);
      auto r = verify_module(m, s.root);
      ASSERT_EQ(r.code, want) << "byte " << i << " ^ " << int(x) << ": " << r.reason;
      ASSERT_FALSE(r.ok());
      ++counts[static_cast<int>(want)];
    }
  }
  // Every errno class is exercised, including both outcomes of a sig_len change.
  for (VerifyCode c : {VerifyCode::kUnsigned, VerifyCode::kUnsupported, VerifyCode::kMalformed,
                       VerifyCode::kMismatch})
    EXPECT_GT(counts[static_cast<int>(c)], 0) << verify_code_name(c);
}

TEST(Verify, WrongRootOrLevels) {
  Signed s = make_signed();
  ModuleHashesRoot r = s.root;
  r.root[31] ^= 1;
  EXPECT_EQ(verify_module(s.module, r).code, VerifyCode::kMismatch);
  r = s.root;
  r.levels = 2;  // proof is 4 + 32*3 bytes, vmlinux expects 4 + 32*2
  EXPECT_EQ(verify_module(s.module, r).code, VerifyCode::kUnsupported);
  r.levels = 0;
  EXPECT_EQ(verify_module(s.module, r).code, VerifyCode::kUnsupported);
}

std::vector<uint8_t> with_trailer(std::vector<uint8_t> image, ModuleSignature info, size_t blob) {
  image.resize(image.size() + blob, 0x5a);
  auto enc = encode_sig_info(info);
  image.insert(image.end(), enc.begin(), enc.end());
  image.insert(image.end(), kMarker.begin(), kMarker.end());
  return image;
}

TEST(Verify, Framing) {
  ModuleHashesRoot root{1, {}};
  auto marker = testing::bytes(std::string(kMarker));
  EXPECT_EQ(verify_module({}, root).code, VerifyCode::kUnsigned);
  EXPECT_EQ(verify_module(testing::bytes("plain module"), root).code, VerifyCode::kUnsigned);
  // len must be > 28: the bare marker is "unsigned".
  EXPECT_EQ(verify_module(marker, root).code, VerifyCode::kUnsigned);
  // 1..12 bytes before the marker: too short for the struct.
  for (size_t k : {1, 12}) {
    auto m = std::vector<uint8_t>(k, 0);
    m.insert(m.end(), marker.begin(), marker.end());
    EXPECT_EQ(verify_module(m, root).code, VerifyCode::kMalformed) << k;
  }
  ModuleSignature info;
  info.id_type = kIdTypeMerkle;
  // sig_len 0 with one image byte: framing is fine, the proof length is not.
  EXPECT_EQ(verify_module(with_trailer(testing::bytes("x"), info, 0), root).code, VerifyCode::kUnsupported);
  // sig_len equal to everything before the struct leaves no image: EBADMSG.
  info.sig_len = 36;
  EXPECT_EQ(verify_module(with_trailer({}, info, 36), root).code, VerifyCode::kMalformed);
  EXPECT_EQ(verify_module(with_trailer(testing::bytes("x"), info, 36), root).code, VerifyCode::kMismatch);
  // A PKCS#7 signature cannot be checked by a MODULE_HASHES-only kernel.
  info.id_type = kIdTypePkcs7;
  info.sig_len = 100;
  auto pk = verify_module(with_trailer(testing::bytes("image"), info, 100), root);
  EXPECT_EQ(pk.code, VerifyCode::kUnsupported);
  EXPECT_NE(pk.reason.find("PKCS#7"), std::string::npos);
}

TEST(Verify, ErrnoNames) {
  EXPECT_EQ(verify_errno(VerifyCode::kOk), 0);
  EXPECT_EQ(verify_errno(VerifyCode::kUnsigned), -ENODATA);
  EXPECT_EQ(verify_errno(VerifyCode::kUnsupported), -ENOPKG);
  EXPECT_EQ(verify_errno(VerifyCode::kMalformed), -EBADMSG);
  EXPECT_EQ(verify_errno(VerifyCode::kMismatch), -ENOKEY);
  EXPECT_STREQ(verify_errno_name(VerifyCode::kMismatch), "ENOKEY");
}

TEST(Trailer, ParseKinds) {
  Signed s = make_signed();
  auto t = parse_trailer(s.module, "m");
  ASSERT_TRUE(t.ok()) << t.error().str();
  EXPECT_EQ(t->kind, TrailerKind::kMerkle);
  EXPECT_EQ(t->image_size, s.image_size);
  EXPECT_EQ(t->info.sig_len, 4u + 3 * 32);
  EXPECT_EQ(t->sig.size(), 4u + 3 * 32);
  EXPECT_TRUE(has_trailer_marker(s.module));

  auto plain = testing::bytes("no trailer here");
  auto n = parse_trailer(plain, "p");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, TrailerKind::kNone);
  EXPECT_EQ(n->image_size, plain.size());

  ModuleSignature info;
  info.id_type = kIdTypePkcs7;
  info.sig_len = 10;
  auto p = parse_trailer(with_trailer(testing::bytes("abc"), info, 10), "k");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, TrailerKind::kPkcs7);
  EXPECT_EQ(p->image_size, 3u);
  info.id_type = 9;
  EXPECT_EQ(parse_trailer(with_trailer(testing::bytes("abc"), info, 10), "k")->kind, TrailerKind::kOther);

  // Framing errors carry the struct's offset.
  info.sig_len = 13;
  auto bad = parse_trailer(with_trailer(testing::bytes("abc"), info, 10), "k");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().offset, 13u);
  auto short_one = testing::bytes("ab" + std::string(kMarker));
  EXPECT_FALSE(parse_trailer(short_one, "k").ok());
}

TEST(Trailer, CheckStandaloneMerkleFile) {
  Signed s = make_signed();
  std::vector<uint8_t> trailer(s.module.begin() + s.image_size, s.module.end());
  auto lv = check_merkle_trailer(trailer, "t");
  ASSERT_TRUE(lv.ok()) << lv.error().str();
  EXPECT_EQ(*lv, 3u);
  auto cut = trailer;
  cut.erase(cut.begin() + 4, cut.begin() + 36);  // one hash fewer: sig_len no longer matches
  EXPECT_FALSE(check_merkle_trailer(cut, "t").ok());
  auto odd = trailer;
  odd.insert(odd.begin(), 0);
  EXPECT_FALSE(check_merkle_trailer(odd, "t").ok());
  auto pk = trailer;
  pk[trailer.size() - 40 + 2] = kIdTypePkcs7;
  EXPECT_FALSE(check_merkle_trailer(pk, "t").ok());
  auto nz = trailer;
  nz[trailer.size() - 40 + 5] = 1;
  EXPECT_FALSE(check_merkle_trailer(nz, "t").ok());
}

}  // namespace
}  // namespace elfhash::merkle
