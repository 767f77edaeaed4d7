# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ovs_global_optspecs
    string join \n store= timeout= user= password-file= cacert= cert= key= max-value-size= v/verbose q/quiet h/help V/version
end

function __fish_ovs_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ovs_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ovs_using_subcommand
    set -l cmd (__fish_ovs_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ovs -n "__fish_ovs_needs_command" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_needs_command" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_needs_command" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_needs_command" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_needs_command" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_needs_command" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_needs_command" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_needs_command" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_needs_command" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_needs_command" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_needs_command" -s V -l version -d 'Print version'
complete -c ovs -n "__fish_ovs_needs_command" -f -a "config" -d 'Read and write configuration keys'
complete -c ovs -n "__fish_ovs_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "list" -d 'List the children of PREFIX (a child with keys below it ends in /), or with -r every key below it'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "list-recursive" -d 'List every key below PREFIX, full path (same as list -r)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "get" -d 'Print the value of KEY, byte for byte (escaped on a terminal)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "set" -d 'Validate and write a value from an argument, a file or stdin'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "edit" -d 'Edit KEY in $VISUAL or $EDITOR; validate; write only if nobody changed it meanwhile'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "delete" -d 'Delete KEY, or with -r KEY and every key below it'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "validate" -d 'Run the validators on a value (or on the stored one) without writing'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "export" -d 'Write every key below PREFIX, with its value, as one document (streamed)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "import" -d 'Write every key of a document, creating or overwriting (never deleting), in one atomic commit'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "diff" -d 'Show what applying a document would add, change and (with --prune) remove'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "apply" -d 'Make the store hold a document: show the plan, ask, then commit it guarded and atomically'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "outbox" -d 'List the writes that reached some stores but not others, kept for `retry`'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "retry" -d 'Deliver the outbox\'s writes where the key is still as it was when the write failed'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "copy" -d 'Copy every key below a prefix from one store to another, then read it back and verify'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "compare" -d 'Show the drift between two stores: keys only in one, and values that differ'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "mirror" -d 'Make a store identical to another below a prefix, deletes included (--watch: keep it so)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "watch" -d 'Print each change below PREFIX as it happens (--exec: run a command after each batch)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "history" -d 'List the past versions of KEY that the store keeps'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "rollback" -d 'Write the value KEY had at revision REV as a new revision, guarded by the current one'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "stores" -d 'List the store kinds this build supports, with their URL form'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "conformance" -d 'Run the store contract\'s checks against the store (built-in or plugin) below a fresh prefix'
complete -c ovs -n "__fish_ovs_using_subcommand config; and not __fish_seen_subcommand_from list list-recursive get set edit delete validate export import diff apply outbox retry copy compare mirror watch history rollback stores conformance help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -s o -l output -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -s r -l recursive -d 'Every key below PREFIX, full path'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -s o -l output -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from list-recursive" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -s o -l output -d 'plain: the value as stored; json/yaml: key, value (or value_base64) and revision' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -s f -l file -d 'Read the value from PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l if-revision -d 'Write only if KEY is still at revision REV (from get -o json)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -s o -l output -d 'plain: a note on stderr; json: {"key", "revision"} on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l if-absent -d 'Create only: fail with exit 5 if KEY exists'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -l dry-run -d 'Validate and check the precondition, report, write nothing'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -s r -l recursive -d 'Edit KEY and every key below it as one document; on save, apply the difference as `apply --prune` would'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l if-revision -d 'Delete only if KEY is still at revision REV' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -s o -l output -d 'plain: a note on stderr; json: {"key", "deleted"} on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -s r -l recursive -d 'Delete KEY and every key below it (never /foobar for /foo)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Do not ask for confirmation (required for -r when stdin is not a terminal)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -s f -l file -d 'Read the value from PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -s o -l output -d 'yaml or json (ovs format); consul format is always JSON' -r -f -a "yaml\t''
json\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l format -d 'ovs: ovs\'s own document; consul: `consul kv export`\'s JSON array' -r -f -a "ovs\t'ovs-config\'s own (YAML, or JSON with -o json)'
consul\t'`consul kv export`\'s JSON array'"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l format -d 'ovs: ovs\'s own document (YAML or JSON); consul: `consul kv export`\'s JSON array' -r -f -a "ovs\t'ovs-config\'s own (YAML, or JSON with -o json)'
consul\t'`consul kv export`\'s JSON array'"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l prefix -d 'Place the document\'s keys below PREFIX instead of its own prefix' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -s o -l output -d 'plain: a note on stderr; json: what was written, on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l dry-run -d 'Validate and plan, report, write nothing'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -l chunked -d 'Over the store\'s atomic limits, apply in guarded chunks, rolled back if one fails'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l format -d 'ovs: ovs\'s own document (YAML or JSON); consul: `consul kv export`\'s JSON array' -r -f -a "ovs\t'ovs-config\'s own (YAML, or JSON with -o json)'
consul\t'`consul kv export`\'s JSON array'"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l prefix -d 'Place the document\'s keys below PREFIX instead of its own prefix' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -s o -l output -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l prune -d 'Also show keys below the document\'s prefix that it does not hold, as removed'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -l exit-code -d 'Exit 7 when something would change (0 when nothing would)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l format -d 'ovs: ovs\'s own document (YAML or JSON); consul: `consul kv export`\'s JSON array' -r -f -a "ovs\t'ovs-config\'s own (YAML, or JSON with -o json)'
consul\t'`consul kv export`\'s JSON array'"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l prefix -d 'Place the document\'s keys below PREFIX instead of its own prefix' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -s o -l output -d 'plain: the plan and a note on stderr; json: the plan and outcome, on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l prune -d 'Also remove keys below the document\'s prefix that it does not hold'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -s y -l yes -d 'Do not ask (required when stdin is not a terminal)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -l chunked -d 'Over the store\'s atomic limits, apply in guarded chunks, rolled back if one fails'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -s o -l output -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from outbox" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -s o -l output -d 'plain: a line per write on stderr; json: what became of each, on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l prefix -d 'Copy the keys below PREFIX' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l to-prefix -d 'Place them below PREFIX in the destination instead [default: --prefix]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -s o -l output -d 'plain: counts on stderr; json: the counts and mismatched keys, on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l overwrite -d 'Overwrite destination keys whose value differs (else: refused, nothing written)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -l chunked -d 'Over the destination\'s atomic limits, copy in guarded chunks, rolled back if one fails'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -s o -l output -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from compare" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -s o -l output -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -s y -l yes -d 'Do not ask (required when stdin is not a terminal)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l watch -d 'Then keep following the source\'s changes, resuming after a restart'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -l chunked -d 'Over the destination\'s atomic limits, apply in guarded chunks, rolled back if one fails'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from mirror" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l count -d 'Stop after N changes' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l exec -d 'Run CMD (with sh -c) after each batch of changes: the changed keys in $OVS_CHANGED_KEYS (newline-separated) and as JSON lines on its stdin; never two at once' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -s o -l output -d 'plain: `PUT key revision` / `DELETE key revision`; json: one object per change per line' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l show -d 'Print the value KEY had at revision REV' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -s o -l output -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -s o -l output -d 'plain: a note on stderr; json: {"key", "revision"} on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -l dry-run -d 'Validate and check, report, write nothing'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from stores" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l prefix -d 'Run below PREFIX, which must be empty and is deleted afterwards [default: a fresh /ovs-conformance-RANDOM]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -s o -l output -d 'plain: a line per check (name, pass or FAIL, why); json/yaml: the whole report, on stdout' -r -f -a "plain\t''
json\t''
yaml\t''"
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l store -d 'Store URL: dir:///path, etcd://host:port[,host:port...][/root] (etcds:// for TLS), zk://host:port[,host:port...][/chroot], consul://host:port[,host:port...][/root] (consuls:// for HTTPS; consul:// alone: $CONSUL_HTTP_ADDR), sqlite:///path/file.db, mysql://[user@]host:port/db, postgres://[user@]host:port/db (SQL: ?table=NAME) [default: dir://$XDG_DATA_HOME/ovs-config]. Give it several times to write to every store at once (reads use the first)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l timeout -d 'How long to wait for the store (write lock, connection, request): seconds, or with a unit (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l user -d 'User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@ in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from the command line' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l password-file -d 'Read the password from the first line of PATH' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l cacert -d 'CA certificate (PEM) to verify the store\'s TLS certificate; implies TLS' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l key -d 'Client private key (PEM) for mutual TLS; needs --cert' -r -F
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -l max-value-size -d 'Largest value to write, in bytes, for a server set up to take more (or less) than the store\'s default limit (see `ovs config stores`)' -r
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -s v -l verbose -d 'Log more to stderr (-v: what ovs does, -vv: also its libraries)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -s q -l quiet -d 'Print only results and errors, no progress notes'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from conformance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the children of PREFIX (a child with keys below it ends in /), or with -r every key below it'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "list-recursive" -d 'List every key below PREFIX, full path (same as list -r)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print the value of KEY, byte for byte (escaped on a terminal)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Validate and write a value from an argument, a file or stdin'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "edit" -d 'Edit KEY in $VISUAL or $EDITOR; validate; write only if nobody changed it meanwhile'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete KEY, or with -r KEY and every key below it'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "validate" -d 'Run the validators on a value (or on the stored one) without writing'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write every key below PREFIX, with its value, as one document (streamed)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "import" -d 'Write every key of a document, creating or overwriting (never deleting), in one atomic commit'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Show what applying a document would add, change and (with --prune) remove'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "apply" -d 'Make the store hold a document: show the plan, ask, then commit it guarded and atomically'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "outbox" -d 'List the writes that reached some stores but not others, kept for `retry`'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Deliver the outbox\'s writes where the key is still as it was when the write failed'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy every key below a prefix from one store to another, then read it back and verify'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "compare" -d 'Show the drift between two stores: keys only in one, and values that differ'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "mirror" -d 'Make a store identical to another below a prefix, deletes included (--watch: keep it so)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "watch" -d 'Print each change below PREFIX as it happens (--exec: run a command after each batch)'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "history" -d 'List the past versions of KEY that the store keeps'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Write the value KEY had at revision REV as a new revision, guarded by the current one'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "stores" -d 'List the store kinds this build supports, with their URL form'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "conformance" -d 'Run the store contract\'s checks against the store (built-in or plugin) below a fresh prefix'
complete -c ovs -n "__fish_ovs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ovs -n "__fish_ovs_using_subcommand help; and not __fish_seen_subcommand_from config help" -f -a "config" -d 'Read and write configuration keys'
complete -c ovs -n "__fish_ovs_using_subcommand help; and not __fish_seen_subcommand_from config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "list" -d 'List the children of PREFIX (a child with keys below it ends in /), or with -r every key below it'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "list-recursive" -d 'List every key below PREFIX, full path (same as list -r)'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "get" -d 'Print the value of KEY, byte for byte (escaped on a terminal)'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Validate and write a value from an argument, a file or stdin'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "edit" -d 'Edit KEY in $VISUAL or $EDITOR; validate; write only if nobody changed it meanwhile'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "delete" -d 'Delete KEY, or with -r KEY and every key below it'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "validate" -d 'Run the validators on a value (or on the stored one) without writing'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "export" -d 'Write every key below PREFIX, with its value, as one document (streamed)'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "import" -d 'Write every key of a document, creating or overwriting (never deleting), in one atomic commit'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "diff" -d 'Show what applying a document would add, change and (with --prune) remove'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "apply" -d 'Make the store hold a document: show the plan, ask, then commit it guarded and atomically'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "outbox" -d 'List the writes that reached some stores but not others, kept for `retry`'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "retry" -d 'Deliver the outbox\'s writes where the key is still as it was when the write failed'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "copy" -d 'Copy every key below a prefix from one store to another, then read it back and verify'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "compare" -d 'Show the drift between two stores: keys only in one, and values that differ'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "mirror" -d 'Make a store identical to another below a prefix, deletes included (--watch: keep it so)'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "watch" -d 'Print each change below PREFIX as it happens (--exec: run a command after each batch)'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "history" -d 'List the past versions of KEY that the store keeps'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "rollback" -d 'Write the value KEY had at revision REV as a new revision, guarded by the current one'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "stores" -d 'List the store kinds this build supports, with their URL form'
complete -c ovs -n "__fish_ovs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "conformance" -d 'Run the store contract\'s checks against the store (built-in or plugin) below a fresh prefix'
