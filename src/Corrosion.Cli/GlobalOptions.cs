using System.CommandLine;
using Corrosion.Agent.Node;

namespace Corrosion.Cli;

/// <summary>Options every command accepts: the config file, the API address, a bearer token.</summary>
public sealed class GlobalOptions
{
    /// <summary><c>-c, --config</c>: a HOCON file layered over the embedded defaults.</summary>
    public Option<string?> Config { get; } = new("--config", "-c")
    {
        Description = "HOCON configuration file (layered over the embedded reference.conf)",
        Recursive = true,
    };

    /// <summary><c>--api-addr</c>: the node's API address; defaults to api.addr from the config.</summary>
    public Option<string?> ApiAddr { get; } = new("--api-addr")
    {
        Description = "the node's API address, host:port (default: api.addr from the configuration)",
        Recursive = true,
    };

    /// <summary><c>--token</c>: a bearer token for the API.</summary>
    public Option<string?> Token { get; } = new("--token")
    {
        Description = "bearer token for the API (default: the first of api.authz.bearer_tokens in the configuration, else its first unrestricted admin token)",
        Recursive = true,
    };

    /// <summary><c>--admin-path</c>: the node's admin socket; defaults to admin.path from the config, else db.path + .admin.sock.</summary>
    public Option<string?> AdminPath { get; } = new("--admin-path")
    {
        Description = "the node's admin socket (default: admin.path from the configuration, else db.path + \".admin.sock\")",
        Recursive = true,
    };

    /// <summary>Adds the options to the root command.</summary>
    public void AddTo(Command root)
    {
        root.Options.Add(Config);
        root.Options.Add(ApiAddr);
        root.Options.Add(Token);
        root.Options.Add(AdminPath);
    }

    /// <summary>Resolves the admin socket's path from the flag or the configuration.</summary>
    public string ResolveAdminPath(ParseResult parse)
    {
        if (parse.GetValue(AdminPath) is { Length: > 0 } flag)
        {
            return Path.GetFullPath(flag);
        }

        var options = NodeConfiguration.Load(parse.GetValue(Config));
        if (!options.Admin.Enabled)
        {
            throw new CliException("admin.enabled is false in the configuration: the node serves no admin socket");
        }

        return options.Admin.ResolvePath(options.Db.Path);
    }

    /// <summary>Resolves the API base address and token from flags and configuration.</summary>
    public (Uri Address, string? Token) ResolveApi(ParseResult parse)
    {
        var configPath = parse.GetValue(Config);
        var flagAddr = parse.GetValue(ApiAddr);
        var flagToken = parse.GetValue(Token);
        string addr;
        string? token = flagToken;
        if (flagAddr is not null && (token is not null || configPath is null))
        {
            addr = flagAddr;
        }
        else
        {
            var options = NodeConfiguration.Load(configPath);
            addr = flagAddr ?? options.Api.Addr;
            token ??= options.Api.Authz.DefaultClientToken();
        }

        if (addr.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || addr.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return (new Uri(addr.EndsWith('/') ? addr : addr + "/"), token);
        }

        if (!EndpointText.TryParse(addr, out var endPoint))
        {
            throw new CliException($"--api-addr: \"{addr}\" is not host:port");
        }

        var host = endPoint.Address.ToString();
        if (endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            host = $"[{host}]";
        }

        if (endPoint.Address.Equals(System.Net.IPAddress.Any))
        {
            host = "127.0.0.1";
        }

        return (new Uri($"http://{host}:{endPoint.Port}/"), token);
    }
}
