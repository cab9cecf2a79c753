using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace ImageBus.Http;

/// <summary>Keeps calls to addresses tenants choose (webhooks, source images) from reaching into our own network (SSRF): refuses addresses that are loopback,
/// private, link-local, CGNAT, multicast, unspecified or cloud metadata unless <see cref="OutboundAddressOptions.AllowedHosts"/>
/// permits them. The gateway checks at registration; the notifier and the worker check again on every connection
/// (<see cref="ConnectAsync"/>), on the very address it connects to, since DNS may answer differently later.</summary>
public sealed class OutboundAddressGuard
{
    static readonly IPNetwork[] Forbidden =
    [
        IPNetwork.Parse("0.0.0.0/8"), // unspecified, "this network"
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"), // CGNAT
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), // link-local, with the cloud metadata address 169.254.169.254
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"), // TEST-NET-1
        IPNetwork.Parse("198.51.100.0/24"), // TEST-NET-2
        IPNetwork.Parse("203.0.113.0/24"), // TEST-NET-3
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), // benchmarking
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved and broadcast
        IPNetwork.Parse("::/128"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("fc00::/7"), // unique local, with AWS's metadata address fd00:ec2::254
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"),
        IPNetwork.Parse("2001:db8::/32"), // documentation
        IPNetwork.Parse("2001::/32"), // Teredo: tunnels to an IPv4 address we cannot see
    ];

    /// <summary>IPv6 forms that carry an IPv4 address, checked as that address: NAT64, 6to4, IPv4-compatible,
    /// IPv4-translated (IPv4-mapped is unwrapped by <see cref="IPAddress.MapToIPv4"/>).</summary>
    static readonly (IPNetwork Network, int V4Offset)[] EmbeddingIPv4 =
    [
        (IPNetwork.Parse("64:ff9b::/96"), 12),
        (IPNetwork.Parse("64:ff9b:1::/48"), 12),
        (IPNetwork.Parse("2002::/16"), 2),
        (IPNetwork.Parse("::/96"), 12),
        (IPNetwork.Parse("::ffff:0:0:0/96"), 12),
    ];

    /// <summary>This host's own interface addresses: a public one still reaches our own services.</summary>
    readonly HashSet<IPAddress> ownAddresses = OwnAddresses();

    readonly IPNetwork[] allowedNetworks;
    readonly HashSet<string> allowedHostNames;

    public OutboundAddressGuard(IOptions<OutboundAddressOptions> options)
    {
        var entries = options.Value.AllowedHosts;
        allowedNetworks = [.. entries.Where(e => e.Contains('/', StringComparison.Ordinal)).Select(IPNetwork.Parse)];
        allowedHostNames = new HashSet<string>(entries.Where(e => !e.Contains('/', StringComparison.Ordinal)), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Why <paramref name="url"/> may not be a webhook, or null when it may.</summary>
    public async Task<string?> CheckAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "must be an absolute http or https URL";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "must not carry credentials";
        }

        try
        {
            var addresses = await ResolveAsync(uri.IdnHost, cancellationToken);
            return addresses.Length == 0 ? $"{uri.Host} does not resolve" : null;
        }
        catch (Exception exception) when (exception is SocketException or OutboundAddressRefusedException)
        {
            return exception.Message;
        }
    }

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/> that connects only to addresses the guard allows.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Whether the guard lets a connection go to <paramref name="address"/> (host name allowlisting aside).</summary>
    public bool IsAllowed(IPAddress address)
    {
        if (Array.Exists(allowedNetworks, n => n.Contains(address)))
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return IsAllowed(address.MapToIPv4());
        }

        if (EmbeddedIPv4(address) is { } embedded && !IsAllowed(embedded))
        {
            return false;
        }

        return !Array.Exists(Forbidden, n => n.Contains(address)) && !ownAddresses.Contains(address);
    }

    static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.Equals(IPAddress.IPv6Loopback) || address.Equals(IPAddress.IPv6None))
        {
            return null;
        }

        foreach (var (network, offset) in EmbeddingIPv4)
        {
            if (network.Contains(address))
            {
                return new IPAddress(address.GetAddressBytes().AsSpan(offset, 4));
            }
        }

        return null;
    }

    static HashSet<IPAddress> OwnAddresses()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)];
        }
        catch (NetworkInformationException)
        {
            // Without the list the fixed ranges still apply.
            return [];
        }
    }

    /// <summary>The host's addresses; throws when any of them is refused, so that a name with one public
    /// and one internal address cannot be used to reach the internal one.</summary>
    async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (allowedHostNames.Contains(host))
        {
            return addresses;
        }

        var refused = Array.Find(addresses, a => !IsAllowed(a));
        return refused is null
            ? addresses
            : throw new OutboundAddressRefusedException($"{host} resolves to {refused}, an internal address ImageBus may not reach");
    }
}

/// <summary>A webhook URL resolves to an address <see cref="OutboundAddressGuard"/> refuses.</summary>
public sealed class OutboundAddressRefusedException(string message) : Exception(message);
