using NetVips;
using VipsRuntime = NetVips.NetVips;

namespace ImageBus.Imaging.Tests;

public sealed class LibvipsSetupTests
{
    public LibvipsSetupTests()
    {
        LibvipsSetup.EnsureApplied();
    }

    [Fact]
    public void Runs_on_the_libvips_that_NetVips_Native_ships_not_a_system_one()
    {
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1])
            .Where(path => path.Contains("libvips.so", StringComparison.Ordinal))
            .Distinct()
            .ToList();

        Assert.True(VipsRuntime.AtLeastLibvips(8, 18), $"libvips {VipsRuntime.Version(0)}.{VipsRuntime.Version(1)} is older than NetVips.Native's");
        Assert.NotEmpty(mapped);
        Assert.All(mapped, path => Assert.StartsWith(AppContext.BaseDirectory, path, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_loader_but_the_png_jpeg_and_webp_buffer_loaders_is_blocked()
    {
        var loaders = VipsRuntime.GetOperations()
            .Select(nickname => (Nickname: nickname, Type: VipsRuntime.TypeFind("VipsForeignLoad", nickname)))
            .Where(loader => loader.Type != IntPtr.Zero)
            .Select(loader => (Class: VipsRuntime.TypeName(loader.Type), Blocked: IsBlocked(loader.Nickname)))
            .ToList();

        Assert.Equal(LibvipsSetup.AllowedLoaders.Order(), loaders.Where(l => !l.Blocked).Select(l => l.Class).Order());
        // Names checked against this libvips: the ones re-allowed exist, and the build has plenty else to block.
        Assert.Contains(loaders, loader => loader.Class == "VipsForeignLoadNsgifBuffer");
        Assert.Contains(loaders, loader => loader.Class == "VipsForeignLoadPngFile");
        Assert.True(loaders.Count > 20, $"only {loaders.Count} loaders found");
    }

    private static bool IsBlocked(string nickname)
    {
        using var operation = Operation.NewFromName(nickname);
        return operation.GetFlags().HasFlag(Enums.OperationFlags.BLOCKED);
    }
}
