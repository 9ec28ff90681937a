# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cr_global_optspecs
    string join \n registry= insecure-registry= ca-cert= tls-verify= client-cert= client-key= debug no-cache h/help V/version
end

function __fish_cr_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cr_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cr_using_subcommand
    set -l cmd (__fish_cr_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cr -n "__fish_cr_needs_command" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_needs_command" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_needs_command" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_needs_command" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_needs_command" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_needs_command" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_needs_command" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_needs_command" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_needs_command" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_needs_command" -f -a "login" -d 'Log in to a registry; the credentials are checked before they are stored'
complete -c cr -n "__fish_cr_needs_command" -f -a "logout" -d 'Remove the stored login for a registry'
complete -c cr -n "__fish_cr_needs_command" -f -a "region" -d 'Show the target registry and where it was set'
complete -c cr -n "__fish_cr_needs_command" -f -a "region-set" -d 'Set the target registry: an IBM Cloud region (us-south, eu-de, global, …) or any host'
complete -c cr -n "__fish_cr_needs_command" -f -a "namespace-list" -d 'List the namespaces of the target registry with their repository counts'
complete -c cr -n "__fish_cr_needs_command" -f -a "namespaces" -d 'List the namespaces of the target registry with their repository counts'
complete -c cr -n "__fish_cr_needs_command" -f -a "repo-list" -d 'List repository names from the catalog (no manifest is fetched)'
complete -c cr -n "__fish_cr_needs_command" -f -a "repos" -d 'List repository names from the catalog (no manifest is fetched)'
complete -c cr -n "__fish_cr_needs_command" -f -a "tag-list" -d 'List the tags of one repository, naturally sorted (no manifest is fetched)'
complete -c cr -n "__fish_cr_needs_command" -f -a "tags" -d 'List the tags of one repository, naturally sorted (no manifest is fetched)'
complete -c cr -n "__fish_cr_needs_command" -f -a "image-list" -d 'List every tagged image of the target registry'
complete -c cr -n "__fish_cr_needs_command" -f -a "images" -d 'List every tagged image of the target registry'
complete -c cr -n "__fish_cr_needs_command" -f -a "ls" -d 'List every tagged image of the target registry'
complete -c cr -n "__fish_cr_needs_command" -f -a "image-digests" -d 'List one row per manifest digest, with all its tags'
complete -c cr -n "__fish_cr_needs_command" -f -a "digests" -d 'List one row per manifest digest, with all its tags'
complete -c cr -n "__fish_cr_needs_command" -f -a "image-inspect" -d 'Show config and manifest facts of images as JSON (docker inspect style)'
complete -c cr -n "__fish_cr_needs_command" -f -a "inspect" -d 'Show config and manifest facts of images as JSON (docker inspect style)'
complete -c cr -n "__fish_cr_needs_command" -f -a "referrers" -d 'List what refers to an image: signatures, SBOMs, attestations (like oras discover)'
complete -c cr -n "__fish_cr_needs_command" -f -a "attach" -d 'Attach files to an image as an OCI artifact (an SBOM, a signature, a report)'
complete -c cr -n "__fish_cr_needs_command" -f -a "artifact-get" -d 'Write an artifact\'s files into a directory, by their titles, verified'
complete -c cr -n "__fish_cr_needs_command" -f -a "manifest-inspect" -d 'Print a manifest exactly as the registry stores it'
complete -c cr -n "__fish_cr_needs_command" -f -a "digest" -d 'Print an image\'s manifest digest (one HEAD request)'
complete -c cr -n "__fish_cr_needs_command" -f -a "config" -d 'Print an image\'s config blob exactly as the registry stores it'
complete -c cr -n "__fish_cr_needs_command" -f -a "blob-get" -d 'Write one blob (a layer or config) by digest, verified while it streams'
complete -c cr -n "__fish_cr_needs_command" -f -a "auth" -d 'Registry tokens for other tools: `cr auth token` prints a bearer token for curl'
complete -c cr -n "__fish_cr_needs_command" -f -a "credential-helper" -d 'Docker credential helper over cr\'s logins (also run as docker-credential-cr)'
complete -c cr -n "__fish_cr_needs_command" -f -a "image-tag" -d 'Point a new tag at an image (mounting or copying blobs when the repository differs)'
complete -c cr -n "__fish_cr_needs_command" -f -a "tag" -d 'Point a new tag at an image (mounting or copying blobs when the repository differs)'
complete -c cr -n "__fish_cr_needs_command" -f -a "image-untag" -d 'Remove tags only; the images and their other tags stay'
complete -c cr -n "__fish_cr_needs_command" -f -a "image-rm" -d 'Delete images by digest, with every tag on them in that repository'
complete -c cr -n "__fish_cr_needs_command" -f -a "rmi" -d 'Delete images by digest, with every tag on them in that repository'
complete -c cr -n "__fish_cr_needs_command" -f -a "retention-run" -d 'Keep the newest images of each repository and delete the others (by digest)'
complete -c cr -n "__fish_cr_needs_command" -f -a "push" -d 'Push a local image (OCI layout, oci-archive, docker-archive) to a registry'
complete -c cr -n "__fish_cr_needs_command" -f -a "pull" -d 'Pull an image into a local OCI layout, oci-archive or docker-archive'
complete -c cr -n "__fish_cr_needs_command" -f -a "copy" -d 'Copy images from registry to registry'
complete -c cr -n "__fish_cr_needs_command" -f -a "sync" -d 'Mirror a registry, namespace or repository into another registry, with referrers'
complete -c cr -n "__fish_cr_needs_command" -f -a "index-create" -d 'Build a multi-platform index from images already in one registry'
complete -c cr -n "__fish_cr_needs_command" -f -a "index-add" -d 'Add platforms to a multi-platform index (rewritten under the same tag)'
complete -c cr -n "__fish_cr_needs_command" -f -a "index-rm" -d 'Remove platforms from a multi-platform index (rewritten under the same tag)'
complete -c cr -n "__fish_cr_needs_command" -f -a "append" -d 'Add layers (a directory, tar or .tar.gz) to an image\'s platforms, as a new image'
complete -c cr -n "__fish_cr_needs_command" -f -a "mutate" -d 'Change an image\'s config (labels, env, entrypoint, …), as a new image'
complete -c cr -n "__fish_cr_needs_command" -f -a "version" -d 'Print cr\'s version'
complete -c cr -n "__fish_cr_needs_command" -f -a "completions" -d 'Generate shell completions (bash, zsh, fish, …) on stdout'
complete -c cr -n "__fish_cr_needs_command" -f -a "man" -d 'Write man pages into a directory'
complete -c cr -n "__fish_cr_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cr -n "__fish_cr_using_subcommand login" -s u -l username -d 'User name' -r
complete -c cr -n "__fish_cr_using_subcommand login" -l apikey -d 'API key (user iamapikey), or @FILE to read it from a file. Also CR_APIKEY' -r
complete -c cr -n "__fish_cr_using_subcommand login" -s p -l password -d 'Not taken: a password on the command line is visible to every process' -r
complete -c cr -n "__fish_cr_using_subcommand login" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand login" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand login" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand login" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand login" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand login" -l password-stdin -d 'Read the password from standard input'
complete -c cr -n "__fish_cr_using_subcommand login" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand login" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand login" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand login" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand logout" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand logout" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand logout" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand logout" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand logout" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand logout" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand logout" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand logout" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand logout" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand region" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand region" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand region" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand region" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand region" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand region" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand region" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand region" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand region" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand region" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand region" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand region" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand region-set" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand region-set" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand region-set" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand region-set" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand region-set" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand region-set" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand region-set" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand region-set" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand region-set" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand region-set" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -s q -l quiet -d 'Print only the namespace names'
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand namespace-list" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand namespaces" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand namespaces" -s q -l quiet -d 'Print only the namespace names'
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand namespaces" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand namespaces" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand namespaces" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l restrict -d 'Only repositories in this namespace (or under this path)' -r
complete -c cr -n "__fish_cr_using_subcommand repo-list" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand repo-list" -s q -l quiet -d 'Print only HOST/REPOSITORY names'
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand repo-list" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand repo-list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand repo-list" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand repos" -l restrict -d 'Only repositories in this namespace (or under this path)' -r
complete -c cr -n "__fish_cr_using_subcommand repos" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand repos" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand repos" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand repos" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand repos" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand repos" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand repos" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand repos" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand repos" -s q -l quiet -d 'Print only HOST/REPOSITORY names'
complete -c cr -n "__fish_cr_using_subcommand repos" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand repos" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand repos" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand repos" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand tag-list" -s o -l output -d 'Output format: one tag per line (default), table or json ({"Repository": …, "Tags": […]}, as skopeo list-tags)' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l format -d 'Go template applied to each tag, e.g. \'{{ .Repository }}:{{ .Tag }}\'' -r
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand tag-list" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand tag-list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand tag-list" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand tags" -s o -l output -d 'Output format: one tag per line (default), table or json ({"Repository": …, "Tags": […]}, as skopeo list-tags)' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand tags" -l format -d 'Go template applied to each tag, e.g. \'{{ .Repository }}:{{ .Tag }}\'' -r
complete -c cr -n "__fish_cr_using_subcommand tags" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand tags" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand tags" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand tags" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand tags" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand tags" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand tags" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand tags" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand tags" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand tags" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand image-list" -l restrict -d 'Only images in this namespace or repository (NS or NS/REPO)' -r
complete -c cr -n "__fish_cr_using_subcommand image-list" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand image-list" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand image-list" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand image-list" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand image-list" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-list" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand image-list" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-list" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-list" -s q -l quiet -d 'Print only names: REPOSITORY:TAG (image-list) or REPOSITORY@DIGEST (image-digests)'
complete -c cr -n "__fish_cr_using_subcommand image-list" -l no-trunc -d 'Show full digests and every tag (image-digests shows five and a count otherwise)'
complete -c cr -n "__fish_cr_using_subcommand image-list" -l show-type -d 'Add a Type column (OCI, OCI index, Docker v2, Docker list)'
complete -c cr -n "__fish_cr_using_subcommand image-list" -l all-tags -d 'Also list referrer tags: `sha256-<hex>` fallback indexes and cosign `.sig`/`.att`/`.sbom` tags (signatures, SBOMs, attestations belong to their image and are hidden otherwise)'
complete -c cr -n "__fish_cr_using_subcommand image-list" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand image-list" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand image-list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand image-list" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand images" -l restrict -d 'Only images in this namespace or repository (NS or NS/REPO)' -r
complete -c cr -n "__fish_cr_using_subcommand images" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand images" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand images" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand images" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand images" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand images" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand images" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand images" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand images" -s q -l quiet -d 'Print only names: REPOSITORY:TAG (image-list) or REPOSITORY@DIGEST (image-digests)'
complete -c cr -n "__fish_cr_using_subcommand images" -l no-trunc -d 'Show full digests and every tag (image-digests shows five and a count otherwise)'
complete -c cr -n "__fish_cr_using_subcommand images" -l show-type -d 'Add a Type column (OCI, OCI index, Docker v2, Docker list)'
complete -c cr -n "__fish_cr_using_subcommand images" -l all-tags -d 'Also list referrer tags: `sha256-<hex>` fallback indexes and cosign `.sig`/`.att`/`.sbom` tags (signatures, SBOMs, attestations belong to their image and are hidden otherwise)'
complete -c cr -n "__fish_cr_using_subcommand images" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand images" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand images" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand images" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand ls" -l restrict -d 'Only images in this namespace or repository (NS or NS/REPO)' -r
complete -c cr -n "__fish_cr_using_subcommand ls" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand ls" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand ls" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand ls" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand ls" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand ls" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand ls" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand ls" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand ls" -s q -l quiet -d 'Print only names: REPOSITORY:TAG (image-list) or REPOSITORY@DIGEST (image-digests)'
complete -c cr -n "__fish_cr_using_subcommand ls" -l no-trunc -d 'Show full digests and every tag (image-digests shows five and a count otherwise)'
complete -c cr -n "__fish_cr_using_subcommand ls" -l show-type -d 'Add a Type column (OCI, OCI index, Docker v2, Docker list)'
complete -c cr -n "__fish_cr_using_subcommand ls" -l all-tags -d 'Also list referrer tags: `sha256-<hex>` fallback indexes and cosign `.sig`/`.att`/`.sbom` tags (signatures, SBOMs, attestations belong to their image and are hidden otherwise)'
complete -c cr -n "__fish_cr_using_subcommand ls" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand ls" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand ls" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l restrict -d 'Only images in this namespace or repository (NS or NS/REPO)' -r
complete -c cr -n "__fish_cr_using_subcommand image-digests" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-digests" -s q -l quiet -d 'Print only names: REPOSITORY:TAG (image-list) or REPOSITORY@DIGEST (image-digests)'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l no-trunc -d 'Show full digests and every tag (image-digests shows five and a count otherwise)'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l show-type -d 'Add a Type column (OCI, OCI index, Docker v2, Docker list)'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l all-tags -d 'Also list referrer tags: `sha256-<hex>` fallback indexes and cosign `.sig`/`.att`/`.sbom` tags (signatures, SBOMs, attestations belong to their image and are hidden otherwise)'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand image-digests" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand digests" -l restrict -d 'Only images in this namespace or repository (NS or NS/REPO)' -r
complete -c cr -n "__fish_cr_using_subcommand digests" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand digests" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand digests" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand digests" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand digests" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand digests" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand digests" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand digests" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand digests" -s q -l quiet -d 'Print only names: REPOSITORY:TAG (image-list) or REPOSITORY@DIGEST (image-digests)'
complete -c cr -n "__fish_cr_using_subcommand digests" -l no-trunc -d 'Show full digests and every tag (image-digests shows five and a count otherwise)'
complete -c cr -n "__fish_cr_using_subcommand digests" -l show-type -d 'Add a Type column (OCI, OCI index, Docker v2, Docker list)'
complete -c cr -n "__fish_cr_using_subcommand digests" -l all-tags -d 'Also list referrer tags: `sha256-<hex>` fallback indexes and cosign `.sig`/`.att`/`.sbom` tags (signatures, SBOMs, attestations belong to their image and are hidden otherwise)'
complete -c cr -n "__fish_cr_using_subcommand digests" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand digests" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand digests" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand digests" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l platform -d 'For a multi-platform image, the platform to describe (default linux/amd64, else the first)' -r
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l format -d 'Go template applied to each image, e.g. \'{{ .Id }}\'' -r
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand image-inspect" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand inspect" -l platform -d 'For a multi-platform image, the platform to describe (default linux/amd64, else the first)' -r
complete -c cr -n "__fish_cr_using_subcommand inspect" -l format -d 'Go template applied to each image, e.g. \'{{ .Id }}\'' -r
complete -c cr -n "__fish_cr_using_subcommand inspect" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand inspect" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand inspect" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand inspect" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand inspect" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand inspect" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand inspect" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand inspect" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand inspect" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand referrers" -l artifact-type -d 'Only referrers of this artifact type (e.g. application/spdx+json)' -r
complete -c cr -n "__fish_cr_using_subcommand referrers" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand referrers" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand referrers" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand referrers" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand referrers" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand referrers" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand referrers" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand referrers" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand referrers" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand referrers" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand referrers" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand referrers" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand attach" -l artifact-type -d 'The artifact\'s type, a media type (e.g. application/spdx+json)' -r
complete -c cr -n "__fish_cr_using_subcommand attach" -l annotation -d 'An annotation on the artifact manifest (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand attach" -l file-type -d 'The media type of each file\'s layer' -r
complete -c cr -n "__fish_cr_using_subcommand attach" -l max-size -d 'Refuse a file larger than this before anything is sent: bytes, or with K, M or G (KiB, MiB, GiB)' -r
complete -c cr -n "__fish_cr_using_subcommand attach" -s o -l output -d 'Output: table (the reference line, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand attach" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand attach" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand attach" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand attach" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand attach" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand attach" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand attach" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand attach" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand attach" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand attach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand attach" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -s o -l output -d 'Directory to write the files into (made when missing)' -r -F
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l artifact-type -d 'Take the newest referrer of this artifact type of the image REFERENCE' -r
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand artifact-get" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l platform -d 'For a multi-platform image, print the manifest of this platform instead of the index' -r
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand manifest-inspect" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand digest" -l platform -d 'For a multi-platform image, the platform whose manifest digest to print' -r
complete -c cr -n "__fish_cr_using_subcommand digest" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand digest" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand digest" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand digest" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand digest" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand digest" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand digest" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand digest" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand digest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand digest" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand config" -l platform -d 'For a multi-platform image, the platform whose config to print (required for an index)' -r
complete -c cr -n "__fish_cr_using_subcommand config" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand config" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand config" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand config" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand config" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand config" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand config" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand config" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand config" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand blob-get" -s o -l output -d 'Write to FILE (created only when the digest matched); `-` for standard output, also on a terminal' -r -F
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand blob-get" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand blob-get" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand blob-get" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -f -a "token" -d 'Print a bearer token of the registry\'s token service, for curl and other tools'
complete -c cr -n "__fish_cr_using_subcommand auth; and not __fish_seen_subcommand_from token help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l scope -d 'Access to ask for: repository:NS/REPO:pull[,push,delete] or registry:catalog:* (repeatable; none: a token for /v2/ only)' -r
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from token" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "token" -d 'Print a bearer token of the registry\'s token service, for curl and other tools'
complete -c cr -n "__fish_cr_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand credential-helper" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand image-tag" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-tag" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l no-referrers -d 'To another registry: do not copy the image\'s referrers (signatures, SBOMs)'
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand image-tag" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand image-tag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand image-tag" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand tag" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand tag" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand tag" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand tag" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand tag" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand tag" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand tag" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand tag" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand tag" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand tag" -l no-referrers -d 'To another registry: do not copy the image\'s referrers (signatures, SBOMs)'
complete -c cr -n "__fish_cr_using_subcommand tag" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand tag" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand tag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand tag" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand image-untag" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand image-untag" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand image-untag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand image-untag" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand image-rm" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l dry-run -d 'Say what would be deleted, delete nothing'
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l force -d 'Delete a manifest even when a tagged index lists it (that multi-arch image breaks)'
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l keep-referrers -d 'Keep the image\'s referrers (signatures, SBOMs, attestations) instead of deleting them'
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand image-rm" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand image-rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand image-rm" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand rmi" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand rmi" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand rmi" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand rmi" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand rmi" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand rmi" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand rmi" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand rmi" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand rmi" -l dry-run -d 'Say what would be deleted, delete nothing'
complete -c cr -n "__fish_cr_using_subcommand rmi" -l force -d 'Delete a manifest even when a tagged index lists it (that multi-arch image breaks)'
complete -c cr -n "__fish_cr_using_subcommand rmi" -l keep-referrers -d 'Keep the image\'s referrers (signatures, SBOMs, attestations) instead of deleting them'
complete -c cr -n "__fish_cr_using_subcommand rmi" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand rmi" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand rmi" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand rmi" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l images -d 'Keep the N most recent images of each repository (by the config\'s creation time)' -r
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l older-than -d 'Delete only images created longer ago than this (30d, 12h, 2w)' -r
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l keep-tag -d 'Never delete an image carrying a tag that matches this regular expression' -r
complete -c cr -n "__fish_cr_using_subcommand retention-run" -s o -l output -d 'Output format: text (default) or json (kept and deleted per repository)' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l recursive -d 'With NAMESPACE/REPO: also the repositories nested under it (NAMESPACE/REPO/...)'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l retain-untagged -d 'Keep images without tags (the only behaviour on registries that cannot list them)'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l keep-referrers -d 'Keep the referrers (signatures, SBOMs, attestations) of deleted images'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l force -d 'Delete without asking (needed when there is no terminal)'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l dry-run -d 'Show what would be deleted, delete nothing'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand retention-run" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand push" -l compression -d 'How to push the uncompressed layers of a docker-archive' -r -f -a "gzip\t'gzip uncompressed docker-archive layers while they stream (fast level)'
none\t'push layers as they are in the archive'"
complete -c cr -n "__fish_cr_using_subcommand push" -l format -d 'Convert Docker-format manifests to OCI, for registries that take OCI only (the digest changes)' -r -f -a "oci\t'Docker-format manifests converted to OCI (the digest changes)'"
complete -c cr -n "__fish_cr_using_subcommand push" -s j -l jobs -d 'Blobs streamed at once (1-64)' -r
complete -c cr -n "__fish_cr_using_subcommand push" -l platform -d 'Only this platform of a multi-platform image (default: all platforms)' -r
complete -c cr -n "__fish_cr_using_subcommand push" -s o -l output -d 'Output: table (the reference line, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand push" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand push" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand push" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand push" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand push" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand push" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand push" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand push" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand push" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand push" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand pull" -s j -l jobs -d 'Blobs streamed at once (1-64)' -r
complete -c cr -n "__fish_cr_using_subcommand pull" -l platform -d 'Only this platform of a multi-platform image (default: all platforms)' -r
complete -c cr -n "__fish_cr_using_subcommand pull" -s o -l output -d 'Output: table (the reference line, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand pull" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand pull" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand pull" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand pull" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand pull" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand pull" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand pull" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand pull" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand pull" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand pull" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand pull" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand copy" -l format -d 'Convert Docker-format manifests to OCI, for registries that take OCI only (the digest changes; referrers are not copied)' -r -f -a "oci\t'Docker-format manifests converted to OCI (the digest changes)'"
complete -c cr -n "__fish_cr_using_subcommand copy" -s j -l jobs -d 'Blobs streamed at once (1-64)' -r
complete -c cr -n "__fish_cr_using_subcommand copy" -l platform -d 'Only this platform of a multi-platform image (default: all platforms)' -r
complete -c cr -n "__fish_cr_using_subcommand copy" -s o -l output -d 'Output: table (the reference line, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand copy" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand copy" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand copy" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand copy" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand copy" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand copy" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand copy" -l all-tags -d 'Copy every tag of the source repository'
complete -c cr -n "__fish_cr_using_subcommand copy" -l no-referrers -d 'Do not copy the image\'s referrers (signatures, SBOMs, attestations)'
complete -c cr -n "__fish_cr_using_subcommand copy" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand copy" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand copy" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand copy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand copy" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand sync" -l tags -d 'Only tags matching this regular expression' -r
complete -c cr -n "__fish_cr_using_subcommand sync" -l exclude -d 'Skip tags matching this regular expression (e.g. \'-rc\')' -r
complete -c cr -n "__fish_cr_using_subcommand sync" -l platform -d 'Only this platform of multi-platform images (default: every platform, byte-exact)' -r
complete -c cr -n "__fish_cr_using_subcommand sync" -s j -l jobs -d 'Blobs streamed at once (1-64)' -r
complete -c cr -n "__fish_cr_using_subcommand sync" -l images -d 'Images in flight at once (1-64)' -r
complete -c cr -n "__fish_cr_using_subcommand sync" -s o -l output -d 'Output: text (one line per tag, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand sync" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand sync" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand sync" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand sync" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand sync" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand sync" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand sync" -l dry-run -d 'Say what would be copied, copy nothing'
complete -c cr -n "__fish_cr_using_subcommand sync" -l no-referrers -d 'Do not copy referrers (signatures, SBOMs, attestations)'
complete -c cr -n "__fish_cr_using_subcommand sync" -l force -d 'Overwrite destination cosign tags (`sha256-….sig`) that differ from the source\'s (default: keep them, report them, exit 5)'
complete -c cr -n "__fish_cr_using_subcommand sync" -s q -l quiet -d 'No progress on stderr'
complete -c cr -n "__fish_cr_using_subcommand sync" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand sync" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand sync" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand index-create" -l platform -d 'Keep only this platform of the sources (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand index-create" -l annotation -d 'Annotation of the index (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand index-create" -s t -l tag -d 'Put the index under this tag too (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand index-create" -s o -l output -d 'Output: table (the reference line, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand index-create" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand index-create" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand index-create" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-create" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand index-create" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-create" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-create" -l docker -d 'Write a Docker manifest list (Docker v2 children only) instead of an OCI index'
complete -c cr -n "__fish_cr_using_subcommand index-create" -l replace -d 'A platform given twice: the later source wins (default: refused)'
complete -c cr -n "__fish_cr_using_subcommand index-create" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand index-create" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand index-create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand index-create" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand index-add" -l platform -d 'Keep only this platform of the sources (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand index-add" -l annotation -d 'Annotation of the index (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand index-add" -s t -l tag -d 'Put the index under this tag too (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand index-add" -s o -l output -d 'Output: table (the reference line, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand index-add" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand index-add" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand index-add" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-add" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand index-add" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-add" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-add" -l replace -d 'A platform given twice: the later source wins (default: refused)'
complete -c cr -n "__fish_cr_using_subcommand index-add" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand index-add" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand index-add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand index-add" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l platform -d 'The platform to remove (repeatable; each must be in the index)' -r
complete -c cr -n "__fish_cr_using_subcommand index-rm" -s o -l output -d 'Output: table (the reference line, default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand index-rm" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand index-rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand index-rm" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand append" -l layer -d 'A layer: a directory, a tar, or a .tar.gz/.tgz (repeatable; added in this order)' -r -F
complete -c cr -n "__fish_cr_using_subcommand append" -s t -l tag -d 'The new image: REPO:TAG in the base\'s registry' -r
complete -c cr -n "__fish_cr_using_subcommand append" -l platform -d 'Only this platform of a multi-platform base (repeatable); the others stay unchanged' -r
complete -c cr -n "__fish_cr_using_subcommand append" -l created -d 'The config\'s created time: `now` or RFC 3339 (default: the base\'s)' -r
complete -c cr -n "__fish_cr_using_subcommand append" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand append" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand append" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand append" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand append" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand append" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand append" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand append" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand append" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand append" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand append" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand append" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand mutate" -s t -l tag -d 'The new image: REPO:TAG in the base\'s registry' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l label -d 'Set a config label KEY=VALUE (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l annotation -d 'Set a manifest annotation KEY=VALUE (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l env -d 'Set an environment variable KEY=VALUE, replacing the base\'s (repeatable)' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l entrypoint -d 'The entrypoint: a JSON array of strings, or one program path; \'[]\' clears it' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l cmd -d 'The default arguments: a JSON array of strings, or one string; \'[]\' clears them' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l workdir -d 'The working directory' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l user -d 'The user (NAME or UID[:GID])' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l platform -d 'Only this platform of a multi-platform base (repeatable); the others stay unchanged' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l created -d 'The config\'s created time: `now` or RFC 3339 (default: the base\'s)' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -s o -l output -d 'Output format: table (default) or json' -r -f -a "table\t'The human form (a table, or text lines); `text` names it too'
json\t''"
complete -c cr -n "__fish_cr_using_subcommand mutate" -l format -d 'Go template applied to each result row; its fields are the keys of `-o json` (\'table …\' prints a header and aligned columns, as docker does)' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand mutate" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand mutate" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand mutate" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand mutate" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand mutate" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand mutate" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand mutate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cr -n "__fish_cr_using_subcommand mutate" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand version" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand version" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand version" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand version" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand version" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand version" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand version" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand version" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand version" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand version" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand completions" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand completions" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand completions" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand completions" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand completions" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand completions" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand completions" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand completions" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand completions" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand completions" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand man" -l registry -d 'Target registry HOST[:PORT] or IBM Cloud region for names without a host' -r
complete -c cr -n "__fish_cr_using_subcommand man" -l insecure-registry -d 'Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES)' -r
complete -c cr -n "__fish_cr_using_subcommand man" -l ca-cert -d 'Trust this CA certificate (PEM) in addition to the system\'s' -r -F
complete -c cr -n "__fish_cr_using_subcommand man" -l tls-verify -d 'Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY)' -r -f -a "true\t''
false\t''"
complete -c cr -n "__fish_cr_using_subcommand man" -l client-cert -d 'Client certificate (PEM) for mutual TLS, with --client-key' -r -F
complete -c cr -n "__fish_cr_using_subcommand man" -l client-key -d 'Private key (PEM) of --client-cert' -r -F
complete -c cr -n "__fish_cr_using_subcommand man" -l debug -d 'Trace HTTP requests on stderr (credentials and tokens are redacted)'
complete -c cr -n "__fish_cr_using_subcommand man" -l no-cache -d 'Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR)'
complete -c cr -n "__fish_cr_using_subcommand man" -s h -l help -d 'Print help'
complete -c cr -n "__fish_cr_using_subcommand man" -s V -l version -d 'Print version'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "login" -d 'Log in to a registry; the credentials are checked before they are stored'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "logout" -d 'Remove the stored login for a registry'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "region" -d 'Show the target registry and where it was set'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "region-set" -d 'Set the target registry: an IBM Cloud region (us-south, eu-de, global, …) or any host'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "namespace-list" -d 'List the namespaces of the target registry with their repository counts'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "repo-list" -d 'List repository names from the catalog (no manifest is fetched)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "tag-list" -d 'List the tags of one repository, naturally sorted (no manifest is fetched)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "image-list" -d 'List every tagged image of the target registry'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "image-digests" -d 'List one row per manifest digest, with all its tags'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "image-inspect" -d 'Show config and manifest facts of images as JSON (docker inspect style)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "referrers" -d 'List what refers to an image: signatures, SBOMs, attestations (like oras discover)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "attach" -d 'Attach files to an image as an OCI artifact (an SBOM, a signature, a report)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "artifact-get" -d 'Write an artifact\'s files into a directory, by their titles, verified'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "manifest-inspect" -d 'Print a manifest exactly as the registry stores it'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "digest" -d 'Print an image\'s manifest digest (one HEAD request)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "config" -d 'Print an image\'s config blob exactly as the registry stores it'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "blob-get" -d 'Write one blob (a layer or config) by digest, verified while it streams'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "auth" -d 'Registry tokens for other tools: `cr auth token` prints a bearer token for curl'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "credential-helper" -d 'Docker credential helper over cr\'s logins (also run as docker-credential-cr)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "image-tag" -d 'Point a new tag at an image (mounting or copying blobs when the repository differs)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "image-untag" -d 'Remove tags only; the images and their other tags stay'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "image-rm" -d 'Delete images by digest, with every tag on them in that repository'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "retention-run" -d 'Keep the newest images of each repository and delete the others (by digest)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "push" -d 'Push a local image (OCI layout, oci-archive, docker-archive) to a registry'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "pull" -d 'Pull an image into a local OCI layout, oci-archive or docker-archive'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "copy" -d 'Copy images from registry to registry'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "sync" -d 'Mirror a registry, namespace or repository into another registry, with referrers'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "index-create" -d 'Build a multi-platform index from images already in one registry'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "index-add" -d 'Add platforms to a multi-platform index (rewritten under the same tag)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "index-rm" -d 'Remove platforms from a multi-platform index (rewritten under the same tag)'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "append" -d 'Add layers (a directory, tar or .tar.gz) to an image\'s platforms, as a new image'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "mutate" -d 'Change an image\'s config (labels, env, entrypoint, …), as a new image'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "version" -d 'Print cr\'s version'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "completions" -d 'Generate shell completions (bash, zsh, fish, …) on stdout'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "man" -d 'Write man pages into a directory'
complete -c cr -n "__fish_cr_using_subcommand help; and not __fish_seen_subcommand_from login logout region region-set namespace-list repo-list tag-list image-list image-digests image-inspect referrers attach artifact-get manifest-inspect digest config blob-get auth credential-helper image-tag image-untag image-rm retention-run push pull copy sync index-create index-add index-rm append mutate version completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cr -n "__fish_cr_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "token" -d 'Print a bearer token of the registry\'s token service, for curl and other tools'
