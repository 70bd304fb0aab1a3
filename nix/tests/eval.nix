# Evaluates fedihost modules without nixpkgs, for the tests in
# tests/integration/nix_modules_test.cc:
#
#   nix-instantiate --store dummy:// --eval --strict --json -E \
#     'import nix/tests/eval.nix { module = ./nix/apps/mastodon.nix; configurationFile = /tmp/c.json; }'
#
# returns the merged `config` of `module`, of everything it imports and of
# `extraConfig` (a module, e.g. { fedihost.smtp.host = "…"; }), and throws when
# an assertion fails. It is a small model of the NixOS module system, enough for
# the subset of lib the fedihost modules use:
#   - lib: mkIf, mkMerge, mkOverride, mkDefault, mkForce, mkOption,
#     mkEnableOption, types.* (inert values), optional(s), optionalAttrs,
#     optionalString, mapAttrs', mapAttrsToList, concatMapStrings,
#     concatStringsSep, concatStrings, filterAttrs, nameValuePair,
#     escapeShellArg, hasPrefix, …
#   - merging: definitions of the same attribute are merged recursively;
#     lists are concatenated; of other values the one of highest priority
#     wins (mkForce 50 < plain 100 < mkDefault 1000 < option default 1500)
#     and equal priorities must agree; mkIf conditions are evaluated where the
#     definition is merged, except at the root and at option groups declared in
#     `options` (such as `fedihost`), where they are pushed down as NixOS does,
#     so that conditions may read config.fedihost. Elsewhere a condition must
#     not read the attribute set it is defined in (NixOS allows that where the
#     options are declared; here only fedihost's are).
#   - pkgs: a stub whose packages are fake store paths (nothing is built).
# What it does not model: option types (no type checking), nixpkgs' own
# modules (services.mastodon & co. are not evaluated, only what we set).
{
  module,
  configurationFile,
  extraConfig ? { },
}:
let
  inherit (builtins)
    attrNames
    concatMap
    elem
    filter
    foldl'
    genericClosure
    head
    isAttrs
    isFunction
    isList
    isPath
    isString
    length
    listToAttrs
    mapAttrs
    tail
    ;

  # ---- lib ------------------------------------------------------------------
  optional = c: x: if c then [ x ] else [ ];
  optionals = c: xs: if c then xs else [ ];
  optionalAttrs = c: s: if c then s else { };
  optionalString = c: s: if c then s else "";
  concatStrings = builtins.concatStringsSep "";
  concatMapStrings = f: xs: concatStrings (map f xs);
  nameValuePair = name: value: { inherit name value; };
  mapAttrsToList = f: s: map (n: f n s.${n}) (attrNames s);
  filterAttrs = p: s: listToAttrs (concatMap (n: optional (p n s.${n}) (nameValuePair n s.${n})) (attrNames s));
  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
  mkType = name: {
    _type = "type";
    inherit name;
  };

  lib = {
    inherit
      optional
      optionals
      optionalAttrs
      optionalString
      concatStrings
      concatMapStrings
      nameValuePair
      mapAttrsToList
      filterAttrs
      genAttrs
      unique
      ;
    inherit (builtins)
      attrNames
      attrValues
      concatMap
      concatStringsSep
      elem
      filter
      mapAttrs
      listToAttrs
      ;
    concatLists = builtins.concatLists;
    mapAttrs' = f: s: listToAttrs (mapAttrsToList f s);
    hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
    escapeShellArg = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString s)}'";
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkMerge = contents: {
      _type = "merge";
      inherit contents;
    };
    mkOverride = priority: content: {
      _type = "override";
      inherit priority content;
    };
    mkDefault = lib.mkOverride 1000;
    mkForce = lib.mkOverride 50;
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption =
      description:
      lib.mkOption {
        type = lib.types.bool;
        default = false;
        inherit description;
      };
    cleanSource = p: p;
    platforms.linux = [ ];
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    types =
      genAttrs [
        "str"
        "int"
        "bool"
        "port"
        "path"
        "lines"
        "attrs"
        "package"
        "anything"
      ] mkType
      // {
        listOf = _: mkType "listOf";
        attrsOf = _: mkType "attrsOf";
        nullOr = _: mkType "nullOr";
        enum = _: mkType "enum";
        either = _: _: mkType "either";
        oneOf = _: mkType "oneOf";
        submodule = _: mkType "submodule";
      };
  };

  # ---- pkgs -----------------------------------------------------------------
  drv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };
  pkgs =
    genAttrs [
      "coreutils"
      "curl"
      "forgejo-lts"
      "jq"
      "mariadb"
      "nodejs"
      "openssl"
      "postgresql"
      "replace-secret"
    ] drv
    // listToAttrs (
      concatMap (v: [
        (nameValuePair "nextcloud${v}" (drv "nextcloud${v}"))
        (nameValuePair "nextcloud${v}Packages" {
          apps = genAttrs [
            "calendar"
            "contacts"
          ] drv;
        })
      ]) (map toString [ 28 29 30 31 32 ])
    )
    // {
      matrix-synapse-plugins.matrix-synapse-s3-storage-provider = drv "matrix-synapse-s3-storage-provider";
      writeText = name: _text: drv name;
      writeShellScript = name: _text: drv name;
      # A generated file is a fake store path named after it (its contents are not rendered).
      formats = genAttrs [ "toml" "json" "yaml" "ini" ] (
        format: _: {
          type = mkType format;
          generate = name: _value: drv name;
        }
      );
      # Calls a package expression with stubs of what it asks for; stdenv.mkDerivation and
      # buildNpmPackage give fake store paths named pname-version, with the attributes given.
      callPackage =
        path: overrides:
        let
          f = import path;
          stub = name: pkgs.${name} or (drv name);
          made = a: a // drv "${a.pname}-${a.version}";
          special = {
            inherit lib;
            stdenv.mkDerivation = made;
            buildNpmPackage = made;
            importNpmLock = {
              __functor = _: _: drv "npm-deps";
              npmConfigHook = drv "npm-config-hook";
            };
          };
        in
        f (mapAttrs (n: _: special.${n} or (stub n)) (builtins.functionArgs f) // overrides);
    };

  # ---- modules --------------------------------------------------------------
  args = {
    inherit config lib pkgs;
    options = declared;
  };
  load =
    m:
    let
      f = if isPath m || isString m then import m else m;
    in
    if isFunction f then f args else f;
  # A module with neither `config` nor `options` is all config (but its imports).
  structured = v: v ? config || v ? options;
  modules = genericClosure {
    startSet = [
      {
        key = if isPath module || isString module then toString module else "<module>";
        inherit module;
      }
      {
        key = "<extraConfig>";
        module = extraConfig;
      }
      {
        key = "<configurationFile>";
        module.fedihost.configurationFile = configurationFile;
      }
    ];
    operator =
      item:
      let
        imports = (load item.module).imports or [ ];
      in
      builtins.genList (
        i:
        let
          m = builtins.elemAt imports i;
        in
        {
          # Files are imported once, whoever imports them.
          key = if isPath m || isString m then toString m else "${item.key}/imports[${toString i}]";
          module = m;
        }
      ) (length imports);
  };
  loaded = map (item: load item.module) modules;
  definitions = map (
    v:
    if structured v then
      v.config or { }
    else
      removeAttrs v [
        "imports"
        "meta"
      ]
  ) loaded;

  # ---- options --------------------------------------------------------------
  isOption = v: isAttrs v && (v._type or null) == "option";
  mergeOptions =
    a: b:
    if isOption a || isOption b then
      throw "eval.nix: an option is declared twice"
    else
      a // mapAttrs (n: v: if a ? ${n} then mergeOptions a.${n} v else v) b;
  declared = foldl' mergeOptions { } (map (v: if structured v then v.options or { } else { }) loaded);
  # Option defaults, as definitions of the lowest priority.
  defaultsOf =
    opts:
    listToAttrs (
      concatMap (
        n:
        let
          o = opts.${n};
        in
        if isOption o then
          optional (o ? default) (nameValuePair n (lib.mkOverride 1500 o.default))
        else if isAttrs o then
          [ (nameValuePair n (defaultsOf o)) ]
        else
          [ ]
      ) (attrNames opts)
    );
  # Option groups: attribute sets of declarations (the root and e.g. `fedihost`).
  isGroup =
    path:
    let
      node = foldl' (n: k: if n != null && isAttrs n && n ? ${k} then n.${k} else null) declared path;
    in
    path == [ ] || (node != null && isAttrs node && !(node ? _type));

  # ---- merging --------------------------------------------------------------
  typeOf = v: if isAttrs v then v._type or null else null;
  wrapIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  wrapOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  # A definition as plain attribute sets whose values carry its conditions.
  pushDown =
    def:
    let
      t = typeOf def;
    in
    if t == "if" then
      map (mapAttrs (_: wrapIf def.condition)) (pushDown def.content)
    else if t == "merge" then
      concatMap pushDown def.contents
    else if t == "override" then
      map (mapAttrs (_: wrapOverride def.priority)) (pushDown def.content)
    else if isAttrs def then
      [ def ]
    else
      throw "eval.nix: a value where an attribute set of options is expected";
  # A definition as { prio, value } with its conditions evaluated.
  discharge =
    prio: def:
    let
      t = typeOf def;
    in
    if t == "if" then
      (if def.condition then discharge prio def.content else [ ])
    else if t == "merge" then
      concatMap (discharge prio) def.contents
    else if t == "override" then
      discharge def.priority def.content
    else
      [
        {
          inherit prio;
          value = def;
        }
      ];
  isSet = v: isAttrs v && !(v ? outPath) && (v._type or null) == null;
  absent = {
    _type = "absent";
  };
  showPath = path: builtins.concatStringsSep "." path;
  children =
    path: sets:
    let
      names = unique (concatMap attrNames sets);
    in
    genAttrs names (n: mergeAt (path ++ [ n ]) (concatMap (s: optional (s ? ${n}) s.${n}) sets));
  mergeAt =
    path: defs:
    if isGroup path then
      mapAttrs (_: v: if (v._type or null) == "absent" then null else v) (children path (concatMap pushDown defs))
    else
      let
        ds = concatMap (discharge 100) defs;
        sets = filter (d: isSet d.value) ds;
        best = foldl' (m: d: if d.prio < m then d.prio else m) 9999 ds;
        top = map (d: d.value) (filter (d: d.prio == best) ds);
      in
      if ds == [ ] then
        absent
      else if sets != [ ] then
        if length sets != length ds then
          throw "eval.nix: ${showPath path} is defined both as an attribute set and as a value"
        else
          filterAttrs (_: v: (v._type or null) != "absent") (
            children path (map (d: mapAttrs (_: wrapOverride d.prio) d.value) sets)
          )
      else if builtins.all isList top then
        builtins.concatLists top
      else if builtins.all (v: v == head top) (tail top) then
        head top
      else
        throw "eval.nix: conflicting definitions of ${showPath path}: ${builtins.toJSON top}";

  config = mergeAt [ ] (definitions ++ [ (defaultsOf declared) ]);

  failed = filter (a: !a.assertion) (config.assertions or [ ]);
in
if failed != [ ] then
  throw ("eval.nix: failed assertions:\n" + builtins.concatStringsSep "\n" (map (a: "- " + a.message) failed))
else
  # A path would be copied to the (dummy) store when printed.
  config // { fedihost = config.fedihost // { configurationFile = toString config.fedihost.configurationFile; }; }
