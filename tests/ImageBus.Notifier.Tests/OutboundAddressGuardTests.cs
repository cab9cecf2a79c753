using ImageBus.Http;
using Microsoft.Extensions.Options;

namespace ImageBus.Notifier.Tests;

public sealed class OutboundAddressGuardTests
{
    static OutboundAddressGuard Guard(params string[] allowed) =>
        new(Options.Create(new OutboundAddressOptions { AllowedHosts = allowed }));

    [Theory]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://localhost:8080/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://172.16.0.1/hook")]
    [InlineData("http://192.168.1.10/hook")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[::]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://[ff02::1]/hook")]
    [InlineData("http://192.0.2.10/hook")]
    [InlineData("http://198.51.100.10/hook")]
    [InlineData("http://203.0.113.10/hook")]
    [InlineData("http://198.18.0.1/hook")]
    [InlineData("http://240.0.0.1/hook")]
    [InlineData("http://[64:ff9b::a00:1]/hook")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/")]
    [InlineData("http://[2002:a00:1::1]/hook")]
    [InlineData("http://[2002:7f00:1::1]/hook")]
    [InlineData("http://[::a00:1]/hook")]
    [InlineData("http://[::ffff:0:a00:1]/hook")]
    [InlineData("http://[::ffff:10.0.0.1]/hook")]
    [InlineData("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook")]
    [InlineData("http://[2001:db8::1]/hook")]
    [InlineData("ftp://93.184.216.34/hook")]
    [InlineData("http://user:pass@93.184.216.34/hook")]
    [InlineData("not a url")]
    public async Task Internal_and_malformed_addresses_are_refused(string url)
    {
        Assert.NotNull(await Guard().CheckAsync(url, CancellationToken.None));
    }

    [Theory]
    [InlineData("https://93.184.216.34/hook")]
    [InlineData("http://[2606:2800:220:1:248:1893:25c8:1946]/hook")]
    [InlineData("http://[64:ff9b::5db8:d822]/hook")]
    [InlineData("http://[2002:5db8:d822::1]/hook")]
    public async Task Public_addresses_are_allowed(string url)
    {
        Assert.Null(await Guard().CheckAsync(url, CancellationToken.None));
    }

    [Fact]
    public void This_hosts_own_interface_addresses_are_refused()
    {
        var own = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address).ToList();
        Assert.NotEmpty(own);
        Assert.All(own, address => Assert.False(Guard().IsAllowed(address), $"{address} is this host's own"));
    }

    [Fact]
    public async Task The_allowlist_lets_through_exactly_what_it_names()
    {
        var guard = Guard("127.0.0.1/32", "localhost");

        Assert.Null(await guard.CheckAsync("http://127.0.0.1:5000/hook", CancellationToken.None));
        Assert.Null(await guard.CheckAsync("http://localhost:5000/hook", CancellationToken.None));
        Assert.NotNull(await guard.CheckAsync("http://127.0.0.2:5000/hook", CancellationToken.None));
        Assert.NotNull(await guard.CheckAsync("http://169.254.169.254/", CancellationToken.None));
        Assert.Null(await guard.CheckAsync("http://[::ffff:127.0.0.1]:5000/hook", CancellationToken.None));
    }
}
