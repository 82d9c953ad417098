using System.Security.Cryptography.X509Certificates;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>A CA and node certificates written as PEM files in a temporary folder.</summary>
internal sealed class TempCertificates : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("corro-tls-").FullName;

    public TempCertificates(string caName = "Test CA")
    {
        Authority = TlsCertificates.CreateAuthority(caName);
        CaFile = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(CaFile, TlsCertificates.ExportCertificatePem(Authority));
    }

    public X509Certificate2 Authority { get; }

    public string CaFile { get; }

    /// <summary>Issues a node certificate for 127.0.0.1 and returns its (cert, key) files.</summary>
    public (string Cert, string Key) IssueNode(string name)
    {
        using var cert = TlsCertificates.CreateServer(Authority, ["127.0.0.1", "localhost"]);
        var certFile = Path.Combine(_dir, name + ".pem");
        var keyFile = Path.Combine(_dir, name + ".key");
        TlsCertificates.WritePemFiles(cert, certFile, keyFile);
        return (certFile, keyFile);
    }

    public TransportOptions NodeOptions(TransportOptions baseOptions, string name, bool mutual = true)
    {
        var (cert, key) = IssueNode(name);
        return baseOptions with { Plaintext = false, TlsCertFile = cert, TlsKeyFile = key, TlsCaFile = mutual ? CaFile : null };
    }

    public void Dispose()
    {
        Authority.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
