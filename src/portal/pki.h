#pragma once
// Pki: the portal's certificate authority, kept in <data_dir>/pki the way
// Pigsty keeps files/pki/ca. On first use it creates a self-signed CA
// (CN vigil-ca, CA:TRUE, pathlen 1, 100 years) and a server certificate
// signed by it (397 days) whose subject alternative names are the portal's
// domains, localhost and admin_ip; afterwards it reuses them, and reissues
// the server certificate when the set of names changes. Keys are ECDSA
// P-256, written with mode 0600.
//
// Thread-safety: not thread-safe; called at start and reload.

#include <string>
#include <vector>

#include "base/status.h"

namespace vigil::portal {

struct PkiFiles {
  std::string ca_cert;      // <dir>/ca.crt
  std::string server_cert;  // <dir>/server.crt
  std::string server_key;   // <dir>/server.key
};

// Makes sure `dir` holds a CA and a server certificate for `names` (DNS
// names or IP addresses; duplicates ignored). Returns the file paths, or an
// IOError/Internal naming what could not be created.
Result<PkiFiles> EnsureServerCertificate(const std::string& dir, const std::vector<std::string>& names);

// Issues a certificate for `names` signed by the CA in `dir` (which must
// exist, see EnsureServerCertificate) into `cert_path` and `key_path`.
// The subject CN is `common_name`, or the first name (sorted) when empty.
Status IssueCertificate(const std::string& dir, const std::vector<std::string>& names, int days,
                        const std::string& cert_path, const std::string& key_path,
                        const std::string& common_name = "");

// Creates the CA in `dir` when it holds none (ca.crt + ca.key); keeps an
// existing one.
Status EnsureCertificateAuthority(const std::string& dir);

// What `vigil pki show` prints about a certificate.
struct CertificateInfo {
  std::string subject;      // one-line, "O=vigil, CN=vigil-ca"
  std::string issuer;
  std::string not_before;   // "2026-11-27T15:52:16Z"
  std::string not_after;
  std::string serial;       // hex
  std::string sha256_fingerprint;  // "AB:CD:..." as openssl x509 -fingerprint
  std::vector<std::string> sans;   // "DNS:x", "IP:1.2.3.4"
  bool is_ca = false;
};

// Reads the PEM certificate at `path`. IOError/Corruption naming the file.
Result<CertificateInfo> DescribeCertificate(const std::string& path);

}  // namespace vigil::portal
