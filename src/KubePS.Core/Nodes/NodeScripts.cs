using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace KubePS.Core.Nodes;

/// <summary>
/// The bash that KubePS sends on standard input (bash -s) and the parsing of what comes back. Every script starts by
/// writing a begin marker to stderr and ends by writing an end marker, so the caller can tell "bash never started"
/// (ssh, sudo failed), "the script ran to its end" (whatever its exit code) and "the script was cut off"
/// (connection lost, killed by the timeout).
/// </summary>
internal static class NodeScripts
{
    public const string BeginMarker = "\u001ekubeps:begin\u001e";
    public const string EndMarker = "\u001ekubeps:end\u001e";

    const string Prologue = "printf '\\036kubeps:begin\\036\\n' >&2\n";

    /// <summary>Completes <paramref name="mainCommand"/> (one command, the last line of the script) with the end marker and exit.</summary>
    static string Finish(string mainCommand) =>
        mainCommand + "; kubeps_rc=$?; printf '\\036kubeps:end\\036\\n' >&2; exit $kubeps_rc\n";

    /// <summary>
    /// A caller's script: run in a subshell with stdin from /dev/null (so a command that reads stdin cannot eat the rest
    /// of the script, and <c>exit</c> or an EXIT trap stay inside), then the end marker.
    /// </summary>
    public static string WrapUserScript(string script) =>
        Prologue + Finish("(\n" + script + "\n) </dev/null");

    public readonly record struct MarkedError(string Error, bool Begun, bool Ended);

    /// <summary>Removes the markers from stderr and tells which of them were seen.</summary>
    public static MarkedError StripMarkers(string stderr)
    {
        bool begun = false, ended = false;
        int b = stderr.IndexOf(BeginMarker + "\n", StringComparison.Ordinal);
        if (b >= 0) { begun = true; stderr = stderr.Remove(b, BeginMarker.Length + 1); }
        int e = stderr.LastIndexOf(EndMarker + "\n", StringComparison.Ordinal);
        if (e >= 0) { ended = true; stderr = stderr.Remove(e, EndMarker.Length + 1); }
        return new MarkedError(stderr, begun, ended);
    }

    static string Octal(int mode) => Convert.ToString(mode, 8);

    // ---------------------------------------------------------------------------------------------------------------
    // Batched writes
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The write script followed by the tar stream, as one stdin payload. The tar holds each file under a staging name in
    /// its own target directory (.kubeps-&lt;batch&gt;-&lt;n&gt;), so the final rename(2) never crosses a filesystem. Staged
    /// files are created under umask 077 (0600, root) and get their owner and mode before the rename: a key written 0600
    /// never exists with a wider mode. Files that already hold the same bytes, mode and owner are left alone.
    /// </summary>
    public static byte[] BuildWritePayload(IReadOnlyList<NodeFile> files, string batchId)
    {
        var manifest = new StringBuilder();
        for (int i = 0; i < files.Count; i++)
        {
            var f = files[i];
            manifest.Append(i).Append('\t').Append(Octal(f.Mode)).Append('\t').Append(f.Owner).Append('\t').Append(f.Group).Append('\t')
                .Append(Octal(f.DirectoryMode ?? NodeFile.DefaultDirectoryMode)).Append('\t').Append(f.Content.Length).Append('\t')
                .Append(f.Path).Append('\n');
        }

        var script = Prologue + WriteFunctions.Replace("@BATCH@", batchId).Replace("@MANIFEST@", manifest.ToString()) + Finish("kubeps_write");
        using var payload = new MemoryStream();
        payload.Write(Encoding.UTF8.GetBytes(script));
        using (var tar = new TarWriter(payload, TarEntryFormat.Pax, leaveOpen: true))
        {
            var now = DateTimeOffset.UtcNow;
            for (int i = 0; i < files.Count; i++)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, StagedName(files[i].Path, batchId, i).TrimStart('/'))
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    Uid = 0,
                    Gid = 0,
                    ModificationTime = now,
                    DataStream = new MemoryStream(files[i].Content, writable: false),
                };
                tar.WriteEntry(entry);
            }
        }
        return payload.ToArray();
    }

    public static string StagedName(string path, string batchId, int index) =>
        path[..(path.LastIndexOf('/') + 1)] + $".kubeps-{batchId}-{index}";

    public static string NewBatchId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

    // Globals (kubeps_*) rather than locals: the EXIT trap that removes leftover staged files runs after the function returned.
    // Forks are batched (one stat, one sha256sum, one chown per owner, one chmod per mode, two syncs; one mv per changed
    // file) so a batch of many small files stays cheap.
    const string WriteFunctions = """
kubeps_mkparents() {
  local dir=${1%/*} mode=$2 acc="" part
  local -a parts
  IFS=/ read -r -a parts <<< "${dir#/}"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    acc="$acc/$part"
    [ -d "$acc" ] && continue
    if [ -e "$acc" ] || [ -L "$acc" ]; then kubeps_err="$acc exists and is not a directory"; return 1; fi
    kubeps_err=$(mkdir -m "$mode" -- "$acc" 2>&1) || [ -d "$acc" ] || return 1
  done
  return 0
}
# kubeps_apply <command...> -- <index...>: runs the command once on the staged files of all indexes; when that fails,
# once per file, so that each error lands on the file that caused it.
kubeps_apply() {
  local -a cmd=() ks=() files=()
  local k e
  while [ "$1" != -- ]; do cmd+=("$1"); shift; done; shift
  for k in "$@"; do [ -z "${kubeps_errors[k]}" ] && { ks+=("$k"); files+=("${kubeps_staged[k]}"); }; done
  [ ${#ks[@]} -gt 0 ] || return 0
  "${cmd[@]}" -- "${files[@]}" 2>/dev/null && return 0
  for k in "${ks[@]}"; do e=$("${cmd[@]}" -- "${kubeps_staged[k]}" 2>&1) || kubeps_errors[k]=$e; done
}
kubeps_write() {
  umask 077
  kubeps_n=0
  kubeps_idx=(); kubeps_mode=(); kubeps_owner=(); kubeps_group=(); kubeps_dmode=(); kubeps_size=(); kubeps_path=(); kubeps_staged=()
  kubeps_state=(); kubeps_errors=()
  local i m o g d s p k t e j h tarerr tarrc cm cu cg cuid cgid
  while IFS=$'	' read -r i m o g d s p; do
    kubeps_idx[kubeps_n]=$i; kubeps_mode[kubeps_n]=$m; kubeps_owner[kubeps_n]=$o; kubeps_group[kubeps_n]=$g
    kubeps_dmode[kubeps_n]=$d; kubeps_size[kubeps_n]=$s; kubeps_path[kubeps_n]=$p
    kubeps_staged[kubeps_n]="${p%/*}/.kubeps-@BATCH@-$i"
    kubeps_n=$((kubeps_n + 1))
  done <<'KUBEPS_MANIFEST'
@MANIFEST@KUBEPS_MANIFEST
  trap 'rm -f -- "${kubeps_staged[@]}"' EXIT
  for ((k = 0; k < kubeps_n; k++)); do
    kubeps_err=""
    kubeps_mkparents "${kubeps_path[k]}" "${kubeps_dmode[k]}" || kubeps_errors[k]="cannot create the parent directory: $kubeps_err"
  done
  # Staged files: 0600 root (umask 077), each in its target's own directory, so the rename below is atomic.
  tarerr=$(tar -x -f - -C / --no-same-owner --no-same-permissions -m 2>&1); tarrc=$?
  local -a present=() statargs=() sumargs=() modes=() sums=()
  for ((k = 0; k < kubeps_n; k++)); do
    [ -z "${kubeps_errors[k]}" ] || continue
    s=${kubeps_staged[k]}; t=${kubeps_path[k]}
    if [ ! -f "$s" ] || { [ "$tarrc" != 0 ] && [ "$(stat -c %s -- "$s")" != "${kubeps_size[k]}" ]; }; then
      kubeps_errors[k]="the file did not arrive complete: ${tarerr:-unknown tar error}"; continue
    fi
    if [ -d "$t" ] && [ ! -L "$t" ]; then kubeps_errors[k]="$t is a directory"; continue; fi
    if [ -f "$t" ] && [ ! -L "$t" ]; then
      kubeps_state[k]=Updated; present+=("$k"); statargs+=("$t"); sumargs+=("$s" "$t")
    elif [ -e "$t" ] || [ -L "$t" ]; then kubeps_state[k]=Updated
    else kubeps_state[k]=Created
    fi
  done
  # Existing files with the same mode, owner and bytes are left alone (one stat and one sha256sum for all of them).
  if [ ${#present[@]} -gt 0 ]; then
    mapfile -t modes < <(stat -c '%a %U %G %u %g' -- "${statargs[@]}" 2>/dev/null)
    mapfile -t sums < <(sha256sum -- "${sumargs[@]}" 2>/dev/null)
    if [ ${#modes[@]} = ${#present[@]} ] && [ ${#sums[@]} = $(( 2 * ${#present[@]} )) ]; then
      for ((j = 0; j < ${#present[@]}; j++)); do
        k=${present[j]}
        read -r cm cu cg cuid cgid <<< "${modes[j]}"
        h=${sums[2*j]#\\}; e=${sums[2*j+1]#\\}
        if [ "$cm" = "${kubeps_mode[k]}" ] && { [ "$cu" = "${kubeps_owner[k]}" ] || [ "$cuid" = "${kubeps_owner[k]}" ]; }            && { [ "$cg" = "${kubeps_group[k]}" ] || [ "$cgid" = "${kubeps_group[k]}" ]; } && [ "${h%% *}" = "${e%% *}" ]; then
          kubeps_state[k]=Unchanged
        fi
      done
    fi
  fi
  # Owner, then mode (chown clears set-id bits), on the staged files: one call per owner and per mode.
  local -A byowner=() bymode=()
  for ((k = 0; k < kubeps_n; k++)); do
    [ -z "${kubeps_errors[k]}" ] && [ "${kubeps_state[k]}" != Unchanged ] || continue
    byowner["${kubeps_owner[k]}:${kubeps_group[k]}"]+=" $k"; bymode["${kubeps_mode[k]}"]+=" $k"
  done
  for e in "${!byowner[@]}"; do kubeps_apply chown "$e" -- ${byowner[$e]}; done
  for e in "${!bymode[@]}"; do kubeps_apply chmod "$e" -- ${bymode[$e]}; done
  local -a todo=() files=() dirs=()
  for ((k = 0; k < kubeps_n; k++)); do
    [ -z "${kubeps_errors[k]}" ] && [ "${kubeps_state[k]}" != Unchanged ] || continue
    todo+=("$k"); files+=("${kubeps_staged[k]}")
  done
  if [ ${#todo[@]} -gt 0 ]; then
    sync -- "${files[@]}" 2>/dev/null
    for k in "${todo[@]}"; do
      if e=$(mv -fT -- "${kubeps_staged[k]}" "${kubeps_path[k]}" 2>&1); then
        t=${kubeps_path[k]%/*}; dirs+=("${t:-/}")
      else
        kubeps_errors[k]=$e
      fi
    done
    [ ${#dirs[@]} -eq 0 ] || sync -- "${dirs[@]}" 2>/dev/null
  fi
  local failed=0
  for ((k = 0; k < kubeps_n; k++)); do
    if [ -n "${kubeps_errors[k]}" ]; then
      e=${kubeps_errors[k]//$'\n'/ }; printf 'E\t%s\t%s\n' "${kubeps_idx[k]}" "${e//$'\t'/ }"; failed=1
    else
      printf 'R\t%s\t%s\n' "${kubeps_idx[k]}" "${kubeps_state[k]}"
    fi
  done
  rm -f -- "${kubeps_staged[@]}"
  return $failed
}

""";

    /// <summary>Parses the write script's report. Throws Node.WriteFailed naming every file that failed.</summary>
    public static IReadOnlyList<FileWriteResult> ParseWriteReport(string hostName, IReadOnlyList<NodeFile> files, string output, int exitCode, string error)
    {
        var results = new FileWriteResult?[files.Count];
        var failures = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t', 3);
            if (parts.Length != 3 || !int.TryParse(parts[1], out var i) || i < 0 || i >= files.Count) continue;
            var f = files[i];
            if (parts[0] == "R" && Enum.TryParse<FileChange>(parts[2], out var change))
                results[i] = new FileWriteResult(f.Path, change, f.ModeText);
            else if (parts[0] == "E")
                failures.Add($"{f.Path}: {parts[2].Trim()}");
        }
        for (int i = 0; i < files.Count; i++)
            if (results[i] is null && !failures.Any(x => x.StartsWith(files[i].Path + ":", StringComparison.Ordinal)))
                failures.Add($"{files[i].Path}: no report (exit code {exitCode}{(string.IsNullOrWhiteSpace(error) ? "" : ", " + Tail(error))})");
        if (failures.Count > 0)
            throw new KubeException("Node.WriteFailed",
                $"{hostName}: could not write {failures.Count} of {files.Count} file(s): {string.Join("; ", failures)}",
                KubeErrorCategory.WriteError, hostName,
                $"Check the paths, owners and free space on {hostName}; files reported as written are in place, the others were left unchanged.");
        return results!;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Batched reads
    // ---------------------------------------------------------------------------------------------------------------

    public static string BuildReadScript(IReadOnlyList<string> paths)
    {
        var manifest = new StringBuilder();
        for (int i = 0; i < paths.Count; i++) manifest.Append(i).Append('\t').Append(paths[i]).Append('\n');
        return Prologue + ReadFunctions.Replace("@MANIFEST@", manifest.ToString()) + Finish("kubeps_read");
    }

    const string ReadFunctions = """
kubeps_read() {
  local i p d rc=0
  while IFS=$'\t' read -r i p; do
    if [ -f "$p" ]; then
      if d=$(base64 -w0 -- "$p" 2>&1); then printf 'F\t%s\t%s\n' "$i" "$d"; else d=${d//$'\n'/ }; printf 'E\t%s\t%s\n' "$i" "$d"; rc=1; fi
    elif [ -e "$p" ]; then printf 'E\t%s\t%s\n' "$i" "not a regular file"; rc=1
    else printf 'M\t%s\n' "$i"
    fi
  done <<'KUBEPS_MANIFEST'
@MANIFEST@KUBEPS_MANIFEST
  return $rc
}

""";

    /// <summary>Parses the read script's report. Throws Node.ReadFailed naming every path that could not be read.</summary>
    public static IReadOnlyDictionary<string, byte[]?> ParseReadReport(string hostName, IReadOnlyList<string> paths, string output, int exitCode, string error)
    {
        var result = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var seen = new bool[paths.Count];
        var failures = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t', 3);
            if (parts.Length < 2 || !int.TryParse(parts[1], out var i) || i < 0 || i >= paths.Count) continue;
            seen[i] = true;
            switch (parts[0])
            {
                case "F" when parts.Length == 3:
                    result[paths[i]] = Convert.FromBase64String(parts[2]);
                    break;
                case "F":
                    result[paths[i]] = [];
                    break;
                case "M":
                    result[paths[i]] = null;
                    break;
                default:
                    failures.Add($"{paths[i]}: {(parts.Length == 3 ? parts[2].Trim() : "unknown error")}");
                    break;
            }
        }
        for (int i = 0; i < paths.Count; i++)
            if (!seen[i]) failures.Add($"{paths[i]}: no report (exit code {exitCode}{(string.IsNullOrWhiteSpace(error) ? "" : ", " + Tail(error))})");
        if (failures.Count > 0)
            throw new KubeException("Node.ReadFailed", $"{hostName}: could not read {failures.Count} of {paths.Count} file(s): {string.Join("; ", failures)}",
                KubeErrorCategory.ReadError, hostName, $"Check that the paths on {hostName} are regular files.");
        return result;
    }

    /// <summary>The last few lines of a tool's stderr, for an error message.</summary>
    public static string Tail(string text, int lines = 3)
    {
        var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" ", all.Skip(Math.Max(0, all.Length - lines)));
    }
}
