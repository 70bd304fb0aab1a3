#pragma once
// RAII for OpenSSL handles: one owner type per handle, freed by its own free function
// (the key code in secrets/keys.cc, the ACME client's crypto, and their tests use these).
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace fedihost::secrets::ossl {

/// Calls F on a non-null pointer: the deleter of every alias below.
template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const {
    if (p) F(p);
  }
};
template <class T, void (*F)(T*)>
using Owned = std::unique_ptr<T, Free<T, F>>;

using Bio = Owned<BIO, BIO_free_all>;
using Bn = Owned<BIGNUM, BN_free>;
using SecretBn = Owned<BIGNUM, BN_clear_free>;  ///< a private scalar: zeroed when freed
using BnCtx = Owned<BN_CTX, BN_CTX_free>;
using EcGroup = Owned<EC_GROUP, EC_GROUP_free>;
using EcPoint = Owned<EC_POINT, EC_POINT_clear_free>;
using EcdsaSig = Owned<ECDSA_SIG, ECDSA_SIG_free>;
using Pkey = Owned<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtx = Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;
using ParamBld = Owned<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using Params = Owned<OSSL_PARAM, OSSL_PARAM_free>;
using X509Req = Owned<X509_REQ, X509_REQ_free>;
using X509Ptr = Owned<X509, X509_free>;
using X509Ext = Owned<X509_EXTENSION, X509_EXTENSION_free>;
using GeneralNames = Owned<GENERAL_NAMES, GENERAL_NAMES_free>;

}  // namespace fedihost::secrets::ossl
