//! Certificates made with openssl for the TLS tests (a CA and leaves it signs, self-signed
//! certificates with or without CA:TRUE, expired ones), and docker-registry instances serving
//! a given certificate.

use std::path::{Path, PathBuf};

use super::{openssl, Auth, TestRegistry, GIVEN_TLS};

/// A certificate and its key (PEM files).
#[derive(Clone)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A CA (CA:TRUE, self-signed) named `stem` in `dir`.
pub fn ca(dir: &Path, stem: &str) -> Pair {
    self_signed(dir, stem, "DNS:cr-test-ca.invalid", true)
}

/// A self-signed certificate for `san` (e.g. `IP:127.0.0.1,DNS:localhost`), valid for two
/// days; CA:TRUE like the `openssl req -x509` recipe, or CA:FALSE.
pub fn self_signed(dir: &Path, stem: &str, san: &str, ca_flag: bool) -> Pair {
    let p = pair(dir, stem);
    let bc = if ca_flag {
        "basicConstraints=critical,CA:TRUE"
    } else {
        "basicConstraints=critical,CA:FALSE"
    };
    x509(dir, stem, &[bc, &format!("subjectAltName={san}")], &p);
    p
}

/// The common recipe: `openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cn` with
/// these `-addext` extensions, writing `p.key` and `p.cert` (CA:TRUE unless an extension says
/// otherwise).
pub fn x509(dir: &Path, cn: &str, addext: &[&str], p: &Pair) {
    let subject = format!("/CN={cn}");
    let mut args = vec![
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subject,
    ];
    for e in addext {
        args.extend(["-addext", e]);
    }
    args.extend(["-keyout", s(&p.key), "-out", s(&p.cert)]);
    openssl(dir, &args);
}

/// A new key `p.key` and a certificate `p.cert` for it with subject CN=`cn` and the extensions
/// of `ext` (an extension file's text), signed by `ca`, valid for two days (the request and
/// extension files are left next to the certificate).
pub fn signed(dir: &Path, cn: &str, ext: &str, ca: &Pair, p: &Pair) {
    let csr = p.cert.with_extension("csr");
    let ext_file = p.cert.with_extension("ext");
    std::fs::write(&ext_file, ext).unwrap();
    request(dir, cn, p, &csr);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            s(&csr),
            "-CA",
            s(&ca.cert),
            "-CAkey",
            s(&ca.key),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            s(&ext_file),
            "-out",
            s(&p.cert),
        ],
    );
}

/// A self-signed CA:TRUE certificate for `san` that expired in 2020.
pub fn expired_self_signed(dir: &Path, stem: &str, san: &str) -> Pair {
    let p = pair(dir, stem);
    let csr = dir.join(format!("{stem}.csr"));
    let cnf = dir.join(format!("{stem}.cnf"));
    let db = dir.join(format!("{stem}.index"));
    let serial = dir.join(format!("{stem}.serial"));
    std::fs::write(&db, "").unwrap();
    std::fs::write(&serial, "01\n").unwrap();
    std::fs::write(
        &cnf,
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = {}\nnew_certs_dir = {}\nserial = {}\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n[ext]\nbasicConstraints = critical,CA:TRUE\nsubjectAltName = {san}\n",
            db.display(),
            dir.display(),
            serial.display()
        ),
    )
    .unwrap();
    request(dir, stem, &p, &csr);
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            s(&cnf),
            "-selfsign",
            "-keyfile",
            s(&p.key),
            "-in",
            s(&csr),
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
            "-extensions",
            "ext",
            "-out",
            s(&p.cert),
        ],
    );
    p
}

/// A CA:FALSE server certificate for `san`, signed by `ca`.
pub fn leaf(dir: &Path, stem: &str, ca: &Pair, san: &str) -> Pair {
    let p = pair(dir, stem);
    let ext =
        format!("basicConstraints=CA:FALSE\nsubjectAltName={san}\nextendedKeyUsage=serverAuth\n");
    signed(dir, stem, &ext, ca, &p);
    p
}

/// A new key `p.key` and a certificate request `csr` for it with subject CN=`cn`.
fn request(dir: &Path, cn: &str, p: &Pair, csr: &Path) {
    let subject = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &subject,
            "-keyout",
            s(&p.key),
            "-out",
            s(csr),
        ],
    );
}

fn pair(dir: &Path, stem: &str) -> Pair {
    Pair {
        cert: dir.join(format!("{stem}.pem")),
        key: dir.join(format!("{stem}-key.pem")),
    }
}

impl TestRegistry {
    /// A registry on 127.0.0.1 serving `pair` over TLS; `cert()` is that certificate.
    /// `extra` is appended to the configuration at top level (e.g. a storage middleware).
    pub fn start_with_cert(pair: &Pair, extra: &str) -> Self {
        let yaml = format!(
            "  tls:\n    certificate: {}\n    key: {}\n{extra}",
            pair.cert.display(),
            pair.key.display()
        );
        GIVEN_TLS.with(|g| *g.borrow_mut() = Some(yaml));
        let r = Self::start_with(Auth::None, true);
        GIVEN_TLS.with(|g| *g.borrow_mut() = None);
        std::fs::copy(&pair.cert, r.cert()).unwrap();
        r
    }
}
