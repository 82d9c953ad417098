using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Admin;

/// <summary>The <c>admin</c> section: the admin socket the <c>corrosion</c> CLI's operator commands use.</summary>
public sealed record AdminOptions
{
    /// <summary>What is appended to <c>db.path</c> when <see cref="Path"/> is empty (one socket per database, as several nodes may share a folder).</summary>
    public const string DefaultSuffix = ".admin.sock";

    /// <summary>Longest socket path the kernel accepts (<c>sun_path</c> is 108 bytes with its terminator).</summary>
    public const int MaxPathBytes = 107;

    /// <summary>Serve the admin socket; false opens none.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The Unix socket's path; empty means <c>db.path</c> + <c>.admin.sock</c>.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>Permission bits of the socket file, octal text (<c>0600</c>: the node's user alone).</summary>
    public string Mode { get; init; } = "0600";

    /// <summary>Largest request frame accepted; a larger one closes that connection.</summary>
    [ConfigurationKeyName("max_frame_size")]
    public Corrosion.Hocon.ByteSize MaxFrameSize { get; init; } = new(1024 * 1024);

    /// <summary>How long a command waits for an actor's answer (a backup's copy is not bound by it).</summary>
    [ConfigurationKeyName("command_timeout")]
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The socket path for a node whose database is <paramref name="dbPath"/>, made absolute.</summary>
    public string ResolvePath(string dbPath)
    {
        ArgumentNullException.ThrowIfNull(dbPath);
        return System.IO.Path.GetFullPath(Path.Length > 0 ? Path : dbPath + DefaultSuffix);
    }

    /// <summary>Whether a Unix socket can be bound at <paramref name="path"/>.</summary>
    public static bool FitsKernelLimit(string path) => System.Text.Encoding.UTF8.GetByteCount(path) <= MaxPathBytes;

    /// <summary>The mode as file permission bits.</summary>
    public UnixFileMode FileMode => (UnixFileMode)Convert.ToInt32(Mode, 8);

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    /// <param name="dbPath">The database path (the socket's default directory).</param>
    public void Validate(string dbPath)
    {
        if (Mode.Length is < 3 or > 4 || !Mode.All(c => c is >= '0' and <= '7'))
        {
            throw new ArgumentException($"configuration key admin.mode must be octal permission bits such as \"0600\", got \"{Mode}\"");
        }

        if ((FileMode & (UnixFileMode.UserRead | UnixFileMode.UserWrite)) != (UnixFileMode.UserRead | UnixFileMode.UserWrite))
        {
            throw new ArgumentException($"configuration key admin.mode must give the node's user read and write ({Mode} does not): the CLI could not connect");
        }

        if (MaxFrameSize.Bytes is < 1024 or > 64L * 1024 * 1024)
        {
            throw new ArgumentException($"configuration key admin.max_frame_size must be between 1KiB and 64MiB, got {MaxFrameSize.Bytes.ToString(CultureInfo.InvariantCulture)} bytes");
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("configuration key admin.command_timeout must be positive");
        }

        // A default path too long is not an error (the node starts without the socket and warns); a chosen one is.
        if (Enabled && Path.Length > 0)
        {
            var resolved = ResolvePath(dbPath);
            if (!FitsKernelLimit(resolved))
            {
                throw new ArgumentException($"configuration key admin.path: the socket path {resolved} is longer than {MaxPathBytes} bytes, the kernel's limit for a Unix socket; set admin.path to a shorter one");
            }
        }
    }
}
