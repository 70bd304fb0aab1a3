# fedihost built from this checkout (callPackage-style; used by ./fedihost-module.nix):
#   pkgs.callPackage ./nix/fedihost-package.nix { }
# The panel (web/) is built by npm with its dependencies fetched from package-lock.json
# (importNpmLock: each package by the hash the lock file records, so no hash to update
# here), then the server by CMake; the panel goes to $out/share/fedihost/web.
{
  lib,
  stdenv,
  buildNpmPackage,
  importNpmLock,
  nodejs,
  cmake,
  ninja,
  pkg-config,
  boost181,
  sqlite,
  libsodium,
  curl,
  openssl,
  spdlog,
  fmt,
  cli11,
  tomlplusplus,
  postgresql,
  ldns,
  libssh,
  libarchive,
}:
let
  src = lib.cleanSource ./..;
  # The version of CMakeLists.txt's project(), so the two cannot disagree.
  version = builtins.head (
    builtins.match ".*project\\(fedihost VERSION ([0-9.]+).*" (builtins.readFile ../CMakeLists.txt)
  );
  panel = buildNpmPackage {
    pname = "fedihost-panel";
    inherit version nodejs;
    src = ../web;
    npmDeps = importNpmLock { npmRoot = ../web; };
    npmConfigHook = importNpmLock.npmConfigHook;
    installPhase = ''
      runHook preInstall
      cp -r dist $out
      runHook postInstall
    '';
  };
in
stdenv.mkDerivation {
  pname = "fedihost";
  inherit version src;

  nativeBuildInputs = [
    cmake
    ninja
    pkg-config
  ];
  buildInputs = [
    boost181
    sqlite
    libsodium
    curl
    openssl
    spdlog
    fmt
    cli11
    tomlplusplus
    postgresql
    ldns
    libssh
    libarchive
  ];

  cmakeFlags = [
    "-DFEDIHOST_TESTS=OFF"
    "-DFEDIHOST_HARDENING=ON"
    # The unit and /etc belong to the NixOS module, not to the package.
    "-DFEDIHOST_SYSTEM_FILES=OFF"
  ];

  # The panel built above in place of web/dist (cmake/package.cmake installs it from there).
  preConfigure = ''
    rm -rf web/dist
    cp -r ${panel} web/dist
    chmod -R u+w web/dist
  '';

  passthru = { inherit panel; };

  meta = {
    description = "Control plane for hosting Fediverse apps for many organisations";
    mainProgram = "fedihost";
    platforms = lib.platforms.linux;
  };
}
