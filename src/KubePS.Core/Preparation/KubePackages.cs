using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Preparation;

/// <summary>How a package repository lays out its paths.</summary>
public enum PackageRepositoryLayout
{
    /// <summary>pkgs.k8s.io: &lt;base&gt;/core:/stable:/v1.NN/{deb,rpm}/ (1.24 and later).</summary>
    PkgsK8sIo,
    /// <summary>A mirror of pkgs.k8s.io that drops the ':' of the path (Aliyun): &lt;base&gt;/core/stable/v1.NN/{deb,rpm}/.</summary>
    Mirror,
    /// <summary>A mirror of the retired Google repositories: &lt;base&gt;/apt/ kubernetes-xenial, &lt;base&gt;/yum/repos/kubernetes-el7-$basearch (any version it still holds).</summary>
    Legacy,
}

/// <summary>A Kubernetes package repository: a base URL and its layout.</summary>
public sealed record KubePackageRepository(string BaseUrl, PackageRepositoryLayout Layout)
{
    /// <summary>The community repositories, pkgs.k8s.io (1.24+).</summary>
    public static KubePackageRepository Upstream { get; } = new("https://pkgs.k8s.io", PackageRepositoryLayout.PkgsK8sIo);
    /// <summary>Aliyun's mirror of pkgs.k8s.io.</summary>
    public static KubePackageRepository Aliyun { get; } = new("https://mirrors.aliyun.com/kubernetes-new", PackageRepositoryLayout.Mirror);
    /// <summary>Aliyun's mirror of the retired Google repositories (versions before 1.24).</summary>
    public static KubePackageRepository AliyunLegacy { get; } = new("https://mirrors.aliyun.com/kubernetes", PackageRepositoryLayout.Legacy);

    string Base => BaseUrl.TrimEnd('/');

    string MinorPath(KubeVersion v) => Layout switch
    {
        PackageRepositoryLayout.PkgsK8sIo => $"{Base}/core:/stable:/v{v.Major}.{v.Minor}",
        PackageRepositoryLayout.Mirror => $"{Base}/core/stable/v{v.Major}.{v.Minor}",
        _ => throw new InvalidOperationException("the legacy layout has no per-minor path"),
    };

    /// <summary>The apt source URL (what follows signed-by in the deb line).</summary>
    public string DebUrl(KubeVersion v) => Layout == PackageRepositoryLayout.Legacy ? $"{Base}/apt/" : $"{MinorPath(v)}/deb/";
    /// <summary>The deb line's suite and component: "/" for pkgs.k8s.io layouts, "kubernetes-xenial main" for the legacy one.</summary>
    public string DebSuite => Layout == PackageRepositoryLayout.Legacy ? "kubernetes-xenial main" : "/";
    public string DebKeyUrl(KubeVersion v) => Layout == PackageRepositoryLayout.Legacy ? $"{Base}/apt/doc/apt-key.gpg" : $"{MinorPath(v)}/deb/Release.key";
    public string RpmBaseUrl(KubeVersion v) => Layout == PackageRepositoryLayout.Legacy ? $"{Base}/yum/repos/kubernetes-el7-$basearch/" : $"{MinorPath(v)}/rpm/";
    public string RpmKeyUrls(KubeVersion v) => Layout == PackageRepositoryLayout.Legacy
        ? $"{Base}/yum/doc/yum-key.gpg {Base}/yum/doc/rpm-package-key.gpg" : $"{MinorPath(v)}/rpm/repodata/repomd.xml.key";
}

/// <summary>A package file to push and install (-PackagePath): its file name and bytes.</summary>
public sealed record LocalPackageFile(string FileName, byte[] Content)
{
    public override string ToString() => $"{FileName} ({Content.Length} bytes)";
}

/// <summary>Options of <see cref="KubePackages"/>: what to install and from where.</summary>
public sealed record KubePackageOptions
{
    /// <summary>1.30.4 for that release, or 1.30 for the newest 1.30 the repository has.</summary>
    public KubeVersion Version { get; init; } = VersionCatalog.NewestRelease;
    /// <summary>The repository; null for pkgs.k8s.io (1.24+). Versions before 1.24 need a legacy mirror, package files or binaries.</summary>
    public KubePackageRepository? Repository { get; init; }
    /// <summary>Package files (.deb or .rpm) to push and install instead of using a repository (air-gapped nodes).</summary>
    public IReadOnlyList<LocalPackageFile> PackageFiles { get; init; } = [];
    /// <summary>Install release binaries from this base URL (&lt;base&gt;/v&lt;X.Y.Z&gt;/bin/linux/&lt;arch&gt;/&lt;name&gt;, checked against its .sha256).</summary>
    public string? BinaryBaseUrl { get; init; }
    /// <summary>Where release binaries go (pushed or downloaded), and what the kubelet unit runs: /usr/bin, or e.g. /usr/local/bin or /opt/bin where /usr is read-only.</summary>
    public string BinaryDirectory { get; init; } = "/usr/bin";
    /// <summary>Install these local binaries (name → bytes: kubeadm, kubelet, kubectl), pushed in the file batch.</summary>
    public IReadOnlyDictionary<string, byte[]>? Binaries { get; init; }
    /// <summary>The packages (or binaries) to install.</summary>
    public IReadOnlyList<string> Packages { get; init; } = ["kubelet", "kubeadm", "kubectl"];
    /// <summary>Hold the packages at this version (apt-mark hold; exclude= in the rpm repository; dnf versionlock for local rpms).</summary>
    public bool Hold { get; init; } = true;
    /// <summary>Enable the kubelet service.</summary>
    public bool EnableKubelet { get; init; } = true;
    /// <summary>Only these steps; null for all.</summary>
    public IReadOnlyList<string>? Steps { get; init; }
}

/// <summary>
/// Renders the installation of kubeadm, kubelet and kubectl: from pkgs.k8s.io (per-minor repository and keyring, exact
/// version resolved on the node with apt-cache madison / dnf list, held), from a mirror, from pushed .deb/.rpm files,
/// or, where no repository serves a version (before 1.24), as release binaries with KubePS's kubelet unit and kubeadm
/// drop-in (kubeadm-facts.md §4.3).
/// </summary>
public static partial class KubePackages
{
    public const string AptList = "/etc/apt/sources.list.d/kubernetes.list";
    public const string AptKeyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg";
    public const string RpmRepo = "/etc/yum.repos.d/kubernetes.repo";
    public const string PackageDir = "/var/lib/kubeps/packages";
    public const string KubeletUnit = "/etc/systemd/system/kubelet.service";
    public const string KubeadmDropIn = "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf";
    public const string DefaultBinaryBaseUrl = "https://dl.k8s.io/release";

    /// <summary>The deb line for a repository and version.</summary>
    public static string DebLine(KubePackageRepository repo, KubeVersion version) =>
        $"deb [signed-by={AptKeyring}] {repo.DebUrl(version)} {repo.DebSuite}";

    /// <summary>/etc/yum.repos.d/kubernetes.repo for a repository and version.</summary>
    public static string RpmRepoFile(KubePackageRepository repo, KubeVersion version) =>
        "# Kubernetes packages (written by KubePS)\n" +
        "[kubernetes]\n" +
        "name=Kubernetes\n" +
        $"baseurl={repo.RpmBaseUrl(version)}\n" +
        "enabled=1\n" +
        "gpgcheck=1\n" +
        $"gpgkey={repo.RpmKeyUrls(version)}\n" +
        "exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n";

    /// <summary>The release binary URL: &lt;base&gt;/v&lt;X.Y.Z&gt;/bin/linux/&lt;arch&gt;/&lt;name&gt; (its checksum is the same URL + .sha256).</summary>
    public static string BinaryUrl(string baseUrl, KubeVersion exact, string arch, string name) =>
        $"{baseUrl.TrimEnd('/')}/v{exact.Major}.{exact.Minor}.{exact.Patch}/bin/linux/{arch}/{name}";

    /// <summary>The systemd unit for a kubelet installed from binaries (what the kubelet package ships).</summary>
    public static string KubeletServiceUnit(string binaryDirectory = "/usr/bin") => """
        # kubelet service for a kubelet installed from release binaries (written by KubePS)
        [Unit]
        Description=kubelet: The Kubernetes Node Agent
        Documentation=https://kubernetes.io/docs/
        Wants=network-online.target
        After=network-online.target

        [Service]
        ExecStart=/usr/bin/kubelet
        Restart=always
        StartLimitInterval=0
        RestartSec=10

        [Install]
        WantedBy=multi-user.target

        """.Replace("\r\n", "\n").Replace("ExecStart=/usr/bin/kubelet", $"ExecStart={binaryDirectory.TrimEnd('/')}/kubelet");

    /// <summary>
    /// The kubeadm drop-in (kubeadm-facts.md §4.3): the bootstrap and node kubeconfigs, the kubelet config file, the flags
    /// file kubeadm writes, and the distribution's extra-args file; ExecStart cleared, then set with the four variables.
    /// </summary>
    public static string KubeadmDropInConf(PackageManagerKind pm, string binaryDirectory = "/usr/bin")
    {
        string extra = pm == PackageManagerKind.Apt ? "/etc/default/kubelet" : "/etc/sysconfig/kubelet";
        return $"""
            # kubeadm's kubelet drop-in for a kubelet installed from release binaries (written by KubePS)
            [Service]
            Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
            Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
            # kubeadm init and join write KUBELET_KUBEADM_ARGS here
            EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
            # KUBELET_EXTRA_ARGS, for the administrator's own flags
            EnvironmentFile=-{extra}
            ExecStart=
            ExecStart={binaryDirectory.TrimEnd('/')}/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS

            """.Replace("\r\n", "\n");
    }

    /// <summary>The version prefix a package's version must start with: 1.30.4- for a release, 1.30.N- for a minor.</summary>
    public static string VersionPattern(KubeVersion v) =>
        v.Patch is int p ? $"^{v.Major}\\.{v.Minor}\\.{p}-" : $"^{v.Major}\\.{v.Minor}\\.[0-9]+-";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9+._~-]*\.(deb|rpm)$", RegexOptions.CultureInvariant)]
    private static partial Regex PackageFileName();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.+-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PackageName();

    public static NodePlan Render(NodeFacts facts, KubePackageOptions options)
    {
        Validate(facts, options);
        var steps = new List<PlanStep>();
        bool Want(string id) => options.Steps is null || options.Steps.Contains(id);
        var release = VersionCatalog.Get(options.Version);

        if (options.PackageFiles.Count > 0)
        {
            if (Want(PreparationSteps.PackagesInstall)) steps.Add(LocalInstall(facts, options));
            if (options.Hold && Want(PreparationSteps.PackagesHold)) steps.Add(Hold(facts, options, local: true));
        }
        else if (options.BinaryBaseUrl is not null || options.Binaries is not null)
        {
            if (Want(PreparationSteps.PackagesBinaries)) steps.Add(BinaryInstall(facts, options));
            if (Want(PreparationSteps.PackagesKubeletUnit) && options.Packages.Contains("kubelet")) steps.Add(KubeletUnits(facts, options.BinaryDirectory));
        }
        else
        {
            var repo = options.Repository ?? KubePackageRepository.Upstream;
            if (Want(PreparationSteps.PackagesRepository)) steps.Add(Repository(facts, repo, options.Version));
            if (Want(PreparationSteps.PackagesInstall)) steps.Add(RepositoryInstall(facts, options));
            if (options.Hold && Want(PreparationSteps.PackagesHold)) steps.Add(Hold(facts, options, local: false));
        }
        if (options.EnableKubelet && options.Packages.Contains("kubelet") && Want(PreparationSteps.PackagesKubeletService))
            steps.Add(KubeletService());
        return new NodePlan(facts.HostName, "kubernetes-packages", steps, TimeSpan.FromMinutes(20), NodePrerequisites.PackageManagerPrologue(facts.PackageManager));
    }

    /// <summary>
    /// The options for one node: with package files for several package managers (-PackagePath with .deb and .rpm files),
    /// the node gets those of its own kind (.deb for apt, .rpm for dnf and yum). Packages.NoMatchingFiles when it has none.
    /// </summary>
    public static KubePackageOptions OptionsForNode(KubePackageOptions options, NodeFacts facts)
    {
        if (options.PackageFiles.Count == 0) return options;
        string ext = facts.PackageManager == PackageManagerKind.Apt ? ".deb" : ".rpm";
        var mine = options.PackageFiles.Where(f => f.FileName.EndsWith(ext, StringComparison.Ordinal)).ToList();
        if (mine.Count == 0)
            throw new KubeException("Packages.NoMatchingFiles", $"{facts.HostName} uses {facts.PackageManager}, but the package files ({string.Join(", ", options.PackageFiles.Select(f => f.FileName))}) hold no {ext} file.",
                KubeErrorCategory.ObjectNotFound, facts.HostName, $"Add the {ext} files for this node to -PackagePath.");
        return mine.Count == options.PackageFiles.Count ? options : options with { PackageFiles = mine };
    }

    /// <summary>The step that enables the kubelet service (also used by preflight -Fix for Service-Kubelet).</summary>
    public static PlanStep KubeletService() => new(PreparationSteps.PackagesKubeletService, "enable the kubelet service", [], """
        daemon_reload
        svc_enable kubelet.service
        """);

    /// <summary>Checks the options without a node (for failing early, before any node is touched).</summary>
    public static void Validate(KubePackageOptions o)
    {
        var release = VersionCatalog.Get(o.Version);
        if (o.PackageFiles.Count == 0 && o.BinaryBaseUrl is null && o.Binaries is null
            && (o.Repository ?? KubePackageRepository.Upstream).Layout != PackageRepositoryLayout.Legacy && !release.ServedByPkgsK8sIo)
            throw new KubeException("Packages.NoRepository",
                $"Kubernetes {o.Version} has no packages on pkgs.k8s.io or its mirrors (they start at 1.24).",
                KubeErrorCategory.InvalidArgument, o.Version.ToString(),
                "Install release binaries (-BinaryBaseUrl https://dl.k8s.io/release or -BinaryPath), push package files (-PackagePath), or use a legacy mirror (-Mirror aliyun).");
        int sources = (o.PackageFiles.Count > 0 ? 1 : 0) + (o.BinaryBaseUrl is not null || o.Binaries is not null ? 1 : 0) + (o.Repository is not null ? 1 : 0);
        if (sources > 1)
            throw new KubeException("Packages.ConflictingSources", "Give one source: a repository or mirror, package files, or binaries.",
                KubeErrorCategory.InvalidArgument, null, "Use only one of -Repository/-Mirror, -PackagePath, -BinaryPath/-BinaryBaseUrl.");
        foreach (var p in o.Packages)
            if (!PackageName().IsMatch(p))
                throw new KubeException("Packages.InvalidName", $"'{p}' is not a package name.", KubeErrorCategory.InvalidArgument, p, "Use names such as kubelet, kubeadm, kubectl.");
        foreach (var f in o.PackageFiles)
            if (!PackageFileName().IsMatch(f.FileName))
                throw new KubeException("Packages.InvalidFile", $"'{f.FileName}' is not a .deb or .rpm file name.", KubeErrorCategory.InvalidArgument, f.FileName, "Give .deb files for apt nodes and .rpm files for dnf/yum nodes.");
        if (o.BinaryBaseUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "https" && u.Scheme != "http")))
            throw new KubeException("Preparation.InvalidUrl", $"'{url}' is not an http(s) URL.", KubeErrorCategory.InvalidArgument, url, $"Give a base URL such as {DefaultBinaryBaseUrl}.");
        if (o.Repository is { } repo && (!Uri.TryCreate(repo.BaseUrl, UriKind.Absolute, out var r) || (r.Scheme != "https" && r.Scheme != "http")))
            throw new KubeException("Preparation.InvalidUrl", $"'{repo.BaseUrl}' is not an http(s) URL.", KubeErrorCategory.InvalidArgument, repo.BaseUrl, "Give a base URL such as https://pkgs.k8s.io.");
        NodeFile.ValidatePath(o.BinaryDirectory);
        if (o.Binaries is { } bins)
            foreach (var name in bins.Keys.Where(n => n is not ("kubeadm" or "kubelet" or "kubectl")))
                throw new KubeException("Packages.InvalidBinary", $"'{name}' is not one of kubeadm, kubelet, kubectl.", KubeErrorCategory.InvalidArgument, name, "Give the three binaries by those names.");
        if (o.Binaries is { } given && o.Packages.FirstOrDefault(p => !given.ContainsKey(p)) is { } missing)
            throw MissingBinary(null, missing, given.Keys, o.Packages);
    }

    /// <summary>
    /// The repository that -Repository or -Mirror name: -Repository as a repository laid out as pkgs.k8s.io; -Mirror as
    /// 'aliyun' or a mirror's base URL, with the legacy layout for releases pkgs.k8s.io does not serve
    /// (<paramref name="servedByPkgsK8sIo"/> false). Null when neither is given; both at once is Packages.ConflictingSources.
    /// </summary>
    public static KubePackageRepository? RepositoryFor(string? repository, string? mirror, bool servedByPkgsK8sIo)
    {
        if (repository is not null && mirror is not null)
            throw new KubeException("Packages.ConflictingSources", $"-Repository '{repository}' and -Mirror '{mirror}' both name where the packages come from; give one of them.",
                KubeErrorCategory.InvalidArgument, mirror, "Use -Repository for a repository laid out as pkgs.k8s.io, or -Mirror for a mirror (aliyun or its base URL), not both.");
        if (repository is not null) return new KubePackageRepository(repository, PackageRepositoryLayout.PkgsK8sIo);
        if (mirror is null) return null;
        return mirror.Equals("aliyun", StringComparison.OrdinalIgnoreCase)
            ? (servedByPkgsK8sIo ? KubePackageRepository.Aliyun : KubePackageRepository.AliyunLegacy)
            : new KubePackageRepository(mirror, servedByPkgsK8sIo ? PackageRepositoryLayout.Mirror : PackageRepositoryLayout.Legacy);
    }

    /// <summary>
    /// The package files at <paramref name="paths"/> (full paths), read: a file as given, a folder's .deb and .rpm files
    /// in ordinal order (other files in it are skipped). Paths that hold no package file at all are Packages.NoFiles:
    /// given paths never fall back silently to a repository.
    /// </summary>
    public static List<LocalPackageFile> ReadPackageFiles(IReadOnlyList<string> paths)
    {
        var files = new List<LocalPackageFile>();
        foreach (var path in paths)
        {
            IEnumerable<string> found = Directory.Exists(path)
                ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".deb", StringComparison.Ordinal) || f.EndsWith(".rpm", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                : [path];
            foreach (var f in found) files.Add(new LocalPackageFile(Path.GetFileName(f), File.ReadAllBytes(f)));
        }
        if (paths.Count > 0 && files.Count == 0)
            throw new KubeException("Packages.NoFiles", $"-PackagePath {string.Join(", ", paths)} holds no .deb or .rpm file.", KubeErrorCategory.ObjectNotFound,
                string.Join(", ", paths), "Point -PackagePath at .deb/.rpm files or a folder holding them (.deb for apt nodes, .rpm for dnf/yum nodes).");
        return files;
    }

    /// <summary>
    /// The binaries <paramref name="names"/> of <paramref name="folder"/> (a full path), read; one that is missing is
    /// Packages.MissingBinary, naming the folder, the binary it lacks and the ones it has.
    /// </summary>
    public static Dictionary<string, byte[]> ReadBinaries(string folder, IReadOnlyList<string> names)
    {
        var present = names.Where(n => File.Exists(Path.Combine(folder, n))).ToList();
        if (names.FirstOrDefault(n => !present.Contains(n)) is { } missing)
            throw MissingBinary(folder, missing, present, names);
        return names.ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(folder, n)));
    }

    /// <summary>Packages.MissingBinary: the one place its message, target and recommendation are made.</summary>
    static KubeException MissingBinary(string? folder, string missing, IEnumerable<string> present, IReadOnlyList<string> wanted)
    {
        var has = present.Order(StringComparer.Ordinal).ToList();
        return new KubeException("Packages.MissingBinary",
            $"{folder ?? "the binary folder"} has no {missing} (it has {(has.Count == 0 ? "none of them" : string.Join(", ", has))}).",
            KubeErrorCategory.ObjectNotFound, folder is null ? missing : Path.Combine(folder, missing), $"Put {string.Join(", ", wanted)} in the folder.");
    }

    static void Validate(NodeFacts facts, KubePackageOptions o)
    {
        Validate(o);
        foreach (var f in o.PackageFiles)
        {
            bool deb = f.FileName.EndsWith(".deb", StringComparison.Ordinal);
            if (deb != (facts.PackageManager == PackageManagerKind.Apt))
                throw new KubeException("Packages.WrongFormat", $"{facts.HostName} uses {facts.PackageManager}; {f.FileName} does not fit it.",
                    KubeErrorCategory.InvalidArgument, f.FileName, facts.PackageManager == PackageManagerKind.Apt ? "Give .deb files." : "Give .rpm files.");
        }
        if (o.PackageFiles.Count == 0 && facts.PackageManager is not (PackageManagerKind.Apt or PackageManagerKind.Dnf or PackageManagerKind.Yum)
            && o.BinaryBaseUrl is null && o.Binaries is null)
            throw new KubeException("Preparation.UnsupportedPackageManager", $"{facts.HostName}: installing packages needs apt, dnf or yum; the node has {facts.PackageManager}.",
                KubeErrorCategory.NotImplemented, facts.HostName, "Install release binaries instead (-BinaryBaseUrl or -BinaryPath).");
    }

    static PlanStep Repository(NodeFacts facts, KubePackageRepository repo, KubeVersion version)
    {
        if (facts.PackageManager == PackageManagerKind.Apt)
        {
            string line = DebLine(repo, version);
            string script = $$"""
                key_url={{Bash.Quote(repo.DebKeyUrl(version))}}
                keyring={{AptKeyring}}
                if [ ! -s "$keyring" ] || file_changed {{AptList}}; then
                  mkdir -p -m 755 /etc/apt/keyrings
                  fetch "$key_url" "$KUBEPS_TMP/key"
                  if grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$KUBEPS_TMP/key"; then
                    have gpg || pkg_install gnupg
                    gpg --batch --yes --dearmor -o "$KUBEPS_TMP/key.gpg" "$KUBEPS_TMP/key"
                  else
                    cp "$KUBEPS_TMP/key" "$KUBEPS_TMP/key.gpg"
                  fi
                  if ! cmp -s "$KUBEPS_TMP/key.gpg" "$keyring"; then
                    install -m 0644 "$KUBEPS_TMP/key.gpg" "$keyring"
                    changed "imported the repository key from $key_url into $keyring"
                  fi
                fi
                if file_changed {{AptList}}; then rm -f "$KUBEPS_TMP/refreshed"; fi
                """;
            return new PlanStep(PreparationSteps.PackagesRepository, $"add the Kubernetes {version.Major}.{version.Minor} apt repository ({repo.DebUrl(version)})",
                [NodeFile.Text(AptList, "# Kubernetes packages (written by KubePS)\n" + line + "\n")], script);
        }
        return new PlanStep(PreparationSteps.PackagesRepository, $"add the Kubernetes {version.Major}.{version.Minor} rpm repository ({repo.RpmBaseUrl(version)})",
            [NodeFile.Text(RpmRepo, RpmRepoFile(repo, version))], "");
    }

    static PlanStep RepositoryInstall(NodeFacts facts, KubePackageOptions o)
    {
        string pattern = VersionPattern(o.Version);
        var sb = new StringBuilder($"pattern={Bash.Quote(pattern)}\npackages={Bash.Quote(string.Join(' ', o.Packages))}\n");
        if (facts.PackageManager == PackageManagerKind.Apt)
            sb.Append("""
                resolve() { apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/[[:space:]]/, "", $2); print $2}' | grep -E -m 1 -- "$pattern" || true; }
                installed() { local st; st=$(dpkg-query -W -f='${Status}|${Version}' "$1" 2>/dev/null || true); case "$st" in *" ok installed|"*) echo "${st#*|}" ;; esac; }
                if file_changed /etc/apt/sources.list.d/kubernetes.list; then pkg_refresh; fi
                want=
                for p in $packages; do
                  v=$(resolve "$p")
                  if [ -z "$v" ]; then pkg_refresh; v=$(resolve "$p"); fi
                  [ -n "$v" ] || fail "no $p version matching $pattern in the configured repositories (apt-cache madison $p)"
                  [ "$(installed "$p")" = "$v" ] || want="$want $p=$v"
                done
                if [ -n "$want" ]; then
                  apt-get install -y --allow-downgrades --allow-change-held-packages -o Dpkg::Options::=--force-confold $want >&2
                  changed "installed$want"
                fi
                """);
        else
            sb.Append("""
                resolve() { $KUBEPS_PM list --showduplicates --disableexcludes=kubernetes "$1" 2>/dev/null | awk -v n="$1" 'index($1, n ".") == 1 {print $2}' | sed 's/^[0-9]*://' | grep -E -- "$pattern" | sort -V | tail -n 1; }
                installed() { rpm -q --qf '%{VERSION}-%{RELEASE}' "$1" 2>/dev/null | grep -v 'not installed' || true; }
                want=
                for p in $packages; do
                  v=$(resolve "$p")
                  [ -n "$v" ] || fail "no $p version matching $pattern in the configured repositories ($KUBEPS_PM list --showduplicates $p)"
                  [ "$(installed "$p")" = "$v" ] || want="$want $p-$v"
                done
                if [ -n "$want" ]; then
                  $KUBEPS_PM install -y --disableexcludes=kubernetes $want >&2
                  changed "installed$want"
                fi
                """);
        return new PlanStep(PreparationSteps.PackagesInstall, $"install {string.Join(", ", o.Packages)} {o.Version.ToString().TrimStart('v')} (exact package version resolved on the node)", [], sb.ToString());
    }

    static PlanStep LocalInstall(NodeFacts facts, KubePackageOptions o)
    {
        var files = o.PackageFiles.Select(f => new NodeFile($"{PackageDir}/{f.FileName}", f.Content, 0b110_100_100)).ToList();
        var sb = new StringBuilder($"files=({Bash.QuoteAll(files.Select(f => f.Path))})\n");
        if (facts.PackageManager == PackageManagerKind.Apt)
            sb.Append("""
                need=()
                for f in "${files[@]}"; do
                  name=$(dpkg-deb -f "$f" Package); ver=$(dpkg-deb -f "$f" Version)
                  st=$(dpkg-query -W -f='${Status}|${Version}' "$name" 2>/dev/null || true)
                  case "$st" in *" ok installed|$ver") ;; *) need+=("$f") ;; esac
                done
                if [ "${#need[@]}" -gt 0 ]; then
                  dpkg -i --force-confold "${need[@]}" >&2
                  for f in "${need[@]}"; do changed "installed $(dpkg-deb -f "$f" Package) $(dpkg-deb -f "$f" Version) from ${f##*/}"; done
                fi
                """);
        else
            sb.Append("""
                need=()
                for f in "${files[@]}"; do
                  name=$(rpm -qp --qf '%{NAME}' "$f" 2>/dev/null); ver=$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$f" 2>/dev/null)
                  [ "$(rpm -q --qf '%{VERSION}-%{RELEASE}' "$name" 2>/dev/null)" = "$ver" ] || need+=("$f")
                done
                if [ "${#need[@]}" -gt 0 ]; then
                  rpm -Uvh --replacepkgs --oldpackage "${need[@]}" >&2
                  for f in "${need[@]}"; do changed "installed ${f##*/}"; done
                fi
                """);
        return new PlanStep(PreparationSteps.PackagesInstall, $"push and install {string.Join(", ", o.PackageFiles.Select(f => f.FileName))} (no repository)", files, sb.ToString());
    }

    static PlanStep Hold(NodeFacts facts, KubePackageOptions o, bool local)
    {
        string packages = Bash.QuoteAll(o.Packages);
        if (facts.PackageManager == PackageManagerKind.Apt)
            return new PlanStep(PreparationSteps.PackagesHold, $"hold {string.Join(", ", o.Packages)} at their version (apt-mark hold)", [], $$"""
                held=$(apt-mark showhold 2>/dev/null || true)
                for p in {{packages}}; do
                  dpkg-query -W "$p" >/dev/null 2>&1 || continue
                  printf '%s\n' "$held" | grep -qx -- "$p" && continue
                  apt-mark hold "$p" >&2; changed "apt-mark hold $p"
                done
                """);
        if (!local)
            return new PlanStep(PreparationSteps.PackagesHold, "hold the packages (exclude= in the kubernetes repository; installs use --disableexcludes=kubernetes)", [], "");
        return new PlanStep(PreparationSteps.PackagesHold, $"hold {string.Join(", ", o.Packages)} at their version (dnf versionlock)", [], $$"""
            if $KUBEPS_PM versionlock list >/dev/null 2>&1; then
              locked=$($KUBEPS_PM versionlock list 2>/dev/null || true)
              for p in {{packages}}; do
                rpm -q "$p" >/dev/null 2>&1 || continue
                printf '%s\n' "$locked" | grep -q -- "$p-" && continue
                $KUBEPS_PM versionlock add "$p" >&2; changed "versionlock $p"
              done
            else
              note "the versionlock plugin is not installed; $KUBEPS_PM update may upgrade {{string.Join(", ", o.Packages)}}"
            fi
            """);
    }

    static PlanStep BinaryInstall(NodeFacts facts, KubePackageOptions o)
    {
        var exact = VersionCatalog.Resolve(o.Version);
        string dir = o.BinaryDirectory.TrimEnd('/');
        if (o.Binaries is { } local)
        {
            var files = o.Packages.Select(n => local.TryGetValue(n, out var bytes) ? new NodeFile($"{dir}/{n}", bytes, 0b111_101_101)
                : throw MissingBinary(null, n, local.Keys, o.Packages)).ToList();
            string sums = string.Join(", ", files.Select(f => $"{f.Path[(dir.Length + 1)..]} sha256 {Convert.ToHexString(SHA256.HashData(f.Content)).ToLowerInvariant()[..12]}…"));
            return new PlanStep(PreparationSteps.PackagesBinaries, $"push {string.Join(", ", o.Packages)} to {dir} ({sums})", files, "");
        }
        string baseUrl = o.BinaryBaseUrl!;
        var urls = o.Packages.Select(n => (n, BinaryUrl(baseUrl, exact, facts.Architecture, n))).ToList();
        var sb = new StringBuilder();
        foreach (var (n, u) in urls) sb.Append($"binaries+=({Bash.Quote(n)})\nurls+=({Bash.Quote(u)})\n");
        sb.Insert(0, $"binaries=(); urls=(); bindir={Bash.Quote(dir)}\n");
        sb.Append("""
            have sha256sum || fail "sha256sum is needed to verify the downloads"
            for i in "${!binaries[@]}"; do
              n=${binaries[$i]}; u=${urls[$i]}
              fetch "$u.sha256" "$KUBEPS_TMP/$n.sha256"
              want=$(awk '{print $1; exit}' "$KUBEPS_TMP/$n.sha256")
              [ -n "$want" ] || fail "empty checksum at $u.sha256"
              if [ -f "$bindir/$n" ] && [ "$(sha256sum "$bindir/$n" | awk '{print $1}')" = "$want" ]; then continue; fi
              fetch "$u" "$KUBEPS_TMP/$n"
              got=$(sha256sum "$KUBEPS_TMP/$n" | awk '{print $1}')
              [ "$got" = "$want" ] || fail "$u has sha256 $got, but $u.sha256 says $want"
              install -D -m 0755 "$KUBEPS_TMP/$n" "$bindir/$n"
              changed "installed $bindir/$n from $u (sha256 verified)"
            done
            """);
        return new PlanStep(PreparationSteps.PackagesBinaries, $"install {string.Join(", ", o.Packages)} {exact} release binaries from {baseUrl} (sha256 verified)", [], sb.ToString());
    }

    static PlanStep KubeletUnits(NodeFacts facts, string binaryDirectory) =>
        new(PreparationSteps.PackagesKubeletUnit, $"write {KubeletUnit} and the kubeadm drop-in {KubeadmDropIn}",
            [NodeFile.Text(KubeletUnit, KubeletServiceUnit(binaryDirectory)), NodeFile.Text(KubeadmDropIn, KubeadmDropInConf(facts.PackageManager, binaryDirectory))],
            $"if file_changed {KubeletUnit} || file_changed {KubeadmDropIn}; then daemon_reload; changed \"systemctl daemon-reload\"; fi\n");
}
