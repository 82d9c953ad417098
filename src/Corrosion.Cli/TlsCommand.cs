using System.CommandLine;
using Corrosion.Agent.Transport;

namespace Corrosion.Cli;

/// <summary>
/// <c>corrosion tls ca|server|client generate</c>: a CA and certificates signed by it, as PEM files, so
/// mutual TLS between nodes (<c>gossip.tls.*</c>) takes minutes to set up.
/// </summary>
public static class TlsCommand
{
    /// <summary>Builds the command tree.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var tls = new Command("tls", "Make TLS certificates for gossip (a CA, then server and client certificates signed by it)");
        tls.Subcommands.Add(Group("ca", "the certificate authority every node trusts", CaGenerate(stdout, stderr)));
        tls.Subcommands.Add(Group("server", "a node's certificate (used as server and as client in mutual TLS)", ServerGenerate(stdout, stderr)));
        tls.Subcommands.Add(Group("client", "a client certificate", ClientGenerate(stdout, stderr)));
        return tls;
    }

    private static Command Group(string name, string description, Command generate)
    {
        var group = new Command(name, $"Certificates: {description}");
        group.Subcommands.Add(generate);
        return group;
    }

    private static Option<string> OutputDir() => new("--output-dir", "-o")
    {
        Description = "folder for the PEM files (created if missing)",
        DefaultValueFactory = _ => ".",
    };

    private static Command CaGenerate(TextWriter stdout, TextWriter stderr)
    {
        var output = OutputDir();
        var name = new Option<string>("--name") { Description = "the CA's common name", DefaultValueFactory = _ => "Corrosion CA" };
        var command = new Command("generate", "Generate a CA: ca.pem (give to every node as gossip.tls.ca_file) and ca.key (keep safe)");
        command.Options.Add(output);
        command.Options.Add(name);
        command.SetAction(parse => Run(stderr, "tls ca generate", () =>
        {
            var dir = Prepare(parse.GetValue(output)!);
            using var ca = TlsCertificates.CreateAuthority(parse.GetValue(name)!);
            var (cert, key) = (Path.Combine(dir, "ca.pem"), Path.Combine(dir, "ca.key"));
            RefuseOverwrite(cert, key);
            TlsCertificates.WritePemFiles(ca, cert, key);
            stdout.WriteLine($"wrote {cert} and {key}");
        }));
        return command;
    }

    private static Command ServerGenerate(TextWriter stdout, TextWriter stderr)
    {
        var output = OutputDir();
        var (caCert, caKey) = CaOptions();
        var names = new Argument<string[]>("names") { Description = "IP addresses and DNS names the node is reached by", Arity = ArgumentArity.OneOrMore };
        var command = new Command("generate", "Generate a node certificate signed by the CA: server.pem and server.key (gossip.tls.cert_file / key_file)");
        command.Arguments.Add(names);
        command.Options.Add(output);
        command.Options.Add(caCert);
        command.Options.Add(caKey);
        command.SetAction(parse => Run(stderr, "tls server generate", () =>
        {
            var dir = Prepare(parse.GetValue(output)!);
            using var ca = TlsCertificates.LoadPem(parse.GetValue(caCert)!, parse.GetValue(caKey)!);
            using var server = TlsCertificates.CreateServer(ca, parse.GetValue(names)!);
            var (cert, key) = (Path.Combine(dir, "server.pem"), Path.Combine(dir, "server.key"));
            RefuseOverwrite(cert, key);
            TlsCertificates.WritePemFiles(server, cert, key);
            stdout.WriteLine($"wrote {cert} and {key}");
        }));
        return command;
    }

    private static Command ClientGenerate(TextWriter stdout, TextWriter stderr)
    {
        var output = OutputDir();
        var (caCert, caKey) = CaOptions();
        var name = new Option<string>("--name") { Description = "the client's common name", DefaultValueFactory = _ => "corrosion client" };
        var command = new Command("generate", "Generate a client certificate signed by the CA: client.pem and client.key");
        command.Options.Add(output);
        command.Options.Add(caCert);
        command.Options.Add(caKey);
        command.Options.Add(name);
        command.SetAction(parse => Run(stderr, "tls client generate", () =>
        {
            var dir = Prepare(parse.GetValue(output)!);
            using var ca = TlsCertificates.LoadPem(parse.GetValue(caCert)!, parse.GetValue(caKey)!);
            using var client = TlsCertificates.CreateClient(ca, parse.GetValue(name)!);
            var (cert, key) = (Path.Combine(dir, "client.pem"), Path.Combine(dir, "client.key"));
            RefuseOverwrite(cert, key);
            TlsCertificates.WritePemFiles(client, cert, key);
            stdout.WriteLine($"wrote {cert} and {key}");
        }));
        return command;
    }

    private static (Option<string> Cert, Option<string> Key) CaOptions() => (
        new Option<string>("--ca-cert") { Description = "the CA certificate (PEM)", DefaultValueFactory = _ => "ca.pem" },
        new Option<string>("--ca-key") { Description = "the CA private key (PEM)", DefaultValueFactory = _ => "ca.key" });

    private static string Prepare(string dir)
    {
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void RefuseOverwrite(params string[] paths)
    {
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                throw new CliException($"{path} exists; remove it or choose another --output-dir");
            }
        }
    }

    private static int Run(TextWriter stderr, string what, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (CliErrors.IsUserError(e) || e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            stderr.WriteLine($"corrosion {what}: {e.Message}");
            return 1;
        }
    }
}
