#include "tests/emulator/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace emulator {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("emulator TLS: ") + what + " failed");
}

Key NewKey() {
  Key k(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Check(k != nullptr, "EVP_EC_gen");
  return k;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert NewCert(EVP_PKEY* key, const std::string& cn, const std::vector<std::string>& orgs, long serial) {
  Cert c(X509_new(), X509_free);
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), 3600L * 24 * 30);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  for (const std::string& o : orgs)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return c;
}

std::string CertPem(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* data;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

std::string KeyPem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

Key ReadKey(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Key k(PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr), EVP_PKEY_free);
  BIO_free(b);
  Check(k != nullptr, "reading the CA key");
  return k;
}

Cert ReadCert(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Cert c(PEM_read_bio_X509(b, nullptr, nullptr, nullptr), X509_free);
  BIO_free(b);
  Check(c != nullptr, "reading the CA certificate");
  return c;
}

KeyPair Issue(const Pki& pki, const std::string& cn, const std::vector<std::string>& orgs, bool server, long serial) {
  Key ca_key = ReadKey(pki.ca.key_pem);
  Cert ca = ReadCert(pki.ca.cert_pem);
  Key key = NewKey();
  Cert cert = NewCert(key.get(), cn, orgs, serial);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  AddExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExt(cert.get(), ca.get(), NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
  if (server) AddExt(cert.get(), ca.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  Check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign");
  return {CertPem(cert.get()), KeyPem(key.get())};
}

}  // namespace

Pki MakePki() {
  Pki pki;
  Key ca_key = NewKey();
  Cert ca = NewCert(ca_key.get(), "warren-emulator-ca", {}, 1);
  X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
  AddExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  AddExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  Check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign (CA)");
  pki.ca = {CertPem(ca.get()), KeyPem(ca_key.get())};
  pki.server = Issue(pki, "warren-emulator", {}, /*server=*/true, 2);
  return pki;
}

KeyPair IssueClientCert(const Pki& pki, const std::string& user, const std::vector<std::string>& groups) {
  static long serial = 100;
  return Issue(pki, user, groups, /*server=*/false, ++serial);
}

}  // namespace emulator
