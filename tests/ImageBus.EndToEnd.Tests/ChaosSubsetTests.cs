using ImageBus.Rehearsals;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The fast subset of <c>./imagebus chaos</c> (tests/ImageBus.Rehearsals): a worker and the orchestrator
/// killed with SIGKILL while Gemini calls are in flight, one node of a three-node RabbitMQ cluster killed mid-run and
/// restarted, and duplicate and malformed commands. Every cell of their rows is
/// 0: no job lost or left open past its deadline, no image generated twice, no webhook event missing, no bad input
/// without a clear error.</summary>
public sealed class ChaosSubsetTests
{
    public static TheoryData<string> FastScenarios() =>
        new(ChaosScenarios.All.Where(s => s.Fast && !s.Name.StartsWith("FakeGemini", StringComparison.Ordinal)).Select(s => s.Name));

    [Theory]
    [MemberData(nameof(FastScenarios))]
    public async Task Every_count_of_the_scenario_is_zero(string scenario)
    {
        var row = await ChaosScenarios.All.Single(s => s.Name == scenario).Run(new ChaosScenarios.ChaosOptions(TimeSpan.FromSeconds(10), 1, 10));

        Assert.True(row.AllZero, row.ToString());
        Assert.True(row.Jobs > 0, "the scenario submitted no job");
    }
}
