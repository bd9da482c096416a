#include "portal/pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include "base/file_util.h"

namespace vigil::portal {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter>;
using CertPtr = std::unique_ptr<X509, Deleter>;
using BioPtr = std::unique_ptr<BIO, Deleter>;

constexpr int kCaDays = 36500;
constexpr int kServerDays = 397;

bool IsIp(const std::string& s) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(s.c_str());
  if (ip == nullptr) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

std::string ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string ToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<CertPtr> ReadCert(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) return text.status();
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::Corruption(path + ": not a PEM certificate");
  return cert;
}

Result<KeyPtr> ReadKey(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) return text.status();
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Status::Corruption(path + ": not a PEM private key");
  return key;
}

// A new certificate for `key`, CN `cn`, valid from now for `days`, with a
// random serial; signed by `issuer_key` as `issuer` (null: self-signed).
Result<CertPtr> MakeCert(EVP_PKEY* key, const std::string& cn, int days, X509* issuer, EVP_PKEY* issuer_key,
                         const std::vector<std::pair<int, std::string>>& exts) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("vigil"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                             0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : exts) {
    if (!AddExt(cert.get(), signer, nid, value)) {
      return Status::Internal("cannot add certificate extension " + std::string(OBJ_nid2sn(nid)) + "=" + value);
    }
  }
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return Status::Internal("cannot sign the certificate for " + cn);
  }
  return cert;
}

std::string SanList(const std::vector<std::string>& names) {
  std::string san;
  for (const auto& n : names) {
    if (!san.empty()) san += ",";
    san += (IsIp(n) ? "IP:" : "DNS:") + n;
  }
  return san;
}

std::vector<std::string> Canonical(std::vector<std::string> names) {
  names.erase(std::remove(names.begin(), names.end(), std::string()), names.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status EnsureCa(const std::string& dir) {
  std::string cert_path = dir + "/ca.crt", key_path = dir + "/ca.key";
  if (Exists(cert_path) && Exists(key_path)) return Status::Ok();
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Status::Internal("cannot generate the CA key");
  auto cert = MakeCert(key.get(), "vigil-ca", kCaDays, nullptr, nullptr,
                       {{NID_basic_constraints, "critical,CA:TRUE,pathlen:1"},
                        {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                        {NID_subject_key_identifier, "hash"}});
  if (!cert.ok()) return cert.status();
  if (Status st = WriteFileAtomic(key_path, ToPem(key.get()), 0600); !st.ok()) return st;
  return WriteFileAtomic(cert_path, ToPem(cert->get()), 0644);
}

}  // namespace

Status IssueCertificate(const std::string& dir, const std::vector<std::string>& names, int days,
                        const std::string& cert_path, const std::string& key_path, const std::string& common_name) {
  std::vector<std::string> sans = Canonical(names);
  if (sans.empty()) return Status::InvalidArgument("a certificate needs at least one name");
  auto ca_cert = ReadCert(dir + "/ca.crt");
  if (!ca_cert.ok()) return ca_cert.status();
  auto ca_key = ReadKey(dir + "/ca.key");
  if (!ca_key.ok()) return ca_key.status();
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Status::Internal("cannot generate a key");
  auto cert = MakeCert(key.get(), common_name.empty() ? sans.front() : common_name, days, ca_cert->get(), ca_key->get(),
                       {{NID_basic_constraints, "critical,CA:FALSE"},
                        {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                        {NID_ext_key_usage, "serverAuth,clientAuth"},
                        {NID_subject_alt_name, SanList(sans)},
                        {NID_authority_key_identifier, "keyid:always"}});
  if (!cert.ok()) return cert.status();
  if (Status st = WriteFileAtomic(key_path, ToPem(key.get()), 0600); !st.ok()) return st;
  return WriteFileAtomic(cert_path, ToPem(cert->get()), 0644);
}

Status EnsureCertificateAuthority(const std::string& dir) {
  if (Status st = EnsureDir(dir); !st.ok()) return st;
  return EnsureCa(dir);
}

Result<CertificateInfo> DescribeCertificate(const std::string& path) {
  auto cert = ReadCert(path);
  if (!cert.ok()) return cert.status();
  X509* x = cert->get();
  CertificateInfo info;
  auto name_text = [](X509_NAME* n) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
  };
  auto time_text = [](const ASN1_TIME* t) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return std::string("?");
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  info.subject = name_text(X509_get_subject_name(x));
  info.issuer = name_text(X509_get_issuer_name(x));
  info.not_before = time_text(X509_get0_notBefore(x));
  info.not_after = time_text(X509_get0_notAfter(x));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr); bn != nullptr) {
    char* hex = BN_bn2hex(bn);
    info.serial = hex;
    OPENSSL_free(hex);
    BN_free(bn);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  X509_digest(x, EVP_sha256(), md, &n);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned i = 0; i < n; ++i) {
    if (i > 0) info.sha256_fingerprint.push_back(':');
    info.sha256_fingerprint.push_back(kHex[md[i] >> 4]);
    info.sha256_fingerprint.push_back(kHex[md[i] & 15]);
  }
  info.is_ca = X509_check_ca(x) != 0;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type == GEN_DNS) {
      const ASN1_IA5STRING* s = g->d.dNSName;
      info.sans.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                               static_cast<size_t>(ASN1_STRING_length(s))));
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = g->d.iPAddress;
      char buf[64] = {};
      const unsigned char* p = ASN1_STRING_get0_data(ip);
      int len = ASN1_STRING_length(ip);
      if (len == 4) {
        std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
      } else if (len == 16) {
        ::inet_ntop(AF_INET6, p, buf, sizeof(buf));
      }
      info.sans.push_back("IP:" + std::string(buf));
    }
  }
  GENERAL_NAMES_free(sans);
  return info;
}

Result<PkiFiles> EnsureServerCertificate(const std::string& dir, const std::vector<std::string>& names) {
  if (Status st = EnsureDir(dir); !st.ok()) return st;
  if (Status st = EnsureCa(dir); !st.ok()) return st;
  PkiFiles files{dir + "/ca.crt", dir + "/server.crt", dir + "/server.key"};
  std::vector<std::string> sans = Canonical(names);
  std::string wanted;
  for (const auto& n : sans) wanted += n + "\n";
  // The names the current server certificate was issued for, to notice a change.
  std::string names_path = dir + "/server.names";
  auto issued = ReadFile(names_path, 1 << 20);
  if (issued.ok() && *issued == wanted && Exists(files.server_cert) && Exists(files.server_key)) return files;
  if (Status st = IssueCertificate(dir, sans, kServerDays, files.server_cert, files.server_key); !st.ok()) return st;
  if (Status st = WriteFileAtomic(names_path, wanted, 0644); !st.ok()) return st;
  return files;
}

}  // namespace vigil::portal
