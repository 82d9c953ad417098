using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

public class TlsCertificatesTests
{
    [Fact]
    public void Authority_is_a_ca_that_may_sign()
    {
        using var ca = TlsCertificates.CreateAuthority("Unit CA");
        var constraints = Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.CertificateAuthority);
        Assert.True(ca.HasPrivateKey);
        Assert.Equal("CN=Unit CA", ca.Subject);
    }

    [Fact]
    public void Server_certificate_validates_against_its_ca_only()
    {
        using var ca = TlsCertificates.CreateAuthority();
        using var other = TlsCertificates.CreateAuthority("Other CA");
        using var server = TlsCertificates.CreateServer(ca, ["node1.example", "10.0.0.1"]);

        Assert.True(TlsCertificates.IsIssuedBy(server, ca));
        Assert.False(TlsCertificates.IsIssuedBy(server, other));
        Assert.False(Assert.Single(server.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        var san = Assert.Single(server.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Contains("node1.example", san.EnumerateDnsNames());
        Assert.Contains(IPAddress.Parse("10.0.0.1"), san.EnumerateIPAddresses());
    }

    [Fact]
    public void Pem_files_round_trip_with_the_key()
    {
        var dir = Directory.CreateTempSubdirectory("corro-pem-").FullName;
        try
        {
            using var ca = TlsCertificates.CreateAuthority();
            using var client = TlsCertificates.CreateClient(ca, "cli");
            var cert = Path.Combine(dir, "c.pem");
            var key = Path.Combine(dir, "c.key");
            TlsCertificates.WritePemFiles(client, cert, key);

            using var loaded = TlsCertificates.LoadPem(cert, key);
            Assert.True(loaded.HasPrivateKey);
            Assert.Equal(client.Thumbprint, loaded.Thumbprint);
            Assert.True(TlsCertificates.IsIssuedBy(loaded, ca));
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(cert), StringComparison.Ordinal);
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key), StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Generated_certificates_complete_a_mutual_tls_handshake()
    {
        using var ca = TlsCertificates.CreateAuthority();
        using var serverCert = TlsCertificates.CreateServer(ca, ["127.0.0.1"]);
        using var clientCert = TlsCertificates.CreateClient(ca);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);

        X509Certificate? seenClient = null;
        var serverSide = Task.Run(async () =>
        {
            using var socket = await listener.AcceptAsync();
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = serverCert,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && TlsCertificates.IsIssuedBy(c, ca),
            });
            seenClient = ssl.RemoteCertificate;
            await ssl.WriteAsync("ok"u8.ToArray());
        });

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        await using var clientSsl = new SslStream(new NetworkStream(client, ownsSocket: false));
        await clientSsl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = [clientCert],
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && TlsCertificates.IsIssuedBy(c, ca),
        });
        var reply = new byte[2];
        await clientSsl.ReadExactlyAsync(reply);
        await Eventually.WithinAsync(serverSide, "the server side finishes");

        Assert.Equal("ok"u8.ToArray(), reply);
        Assert.Equal(serverCert.Thumbprint, new X509Certificate2(clientSsl.RemoteCertificate!).Thumbprint);
        Assert.Equal(clientCert.Thumbprint, new X509Certificate2(seenClient!).Thumbprint);
    }
}
