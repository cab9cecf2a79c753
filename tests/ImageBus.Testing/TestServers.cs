namespace ImageBus.Testing;

/// <summary>Where the real servers started by <c>./imagebus test</c> listen (deploy/local/servers.sh).</summary>
public static class TestServers
{
    public static int PostgresPort { get; } = Port("IMAGEBUS_PG_PORT", 55433);
    public static int AmqpPort { get; } = Port("IMAGEBUS_AMQP_PORT", 5673);
    public static int RabbitManagementPort { get; } = Port("IMAGEBUS_RABBIT_MGMT_PORT", 15673);

    /// <summary>The broker every test shares unless it starts one of its own (<see cref="PrivateServers"/>).</summary>
    public static BrokerPorts SharedBroker { get; } = new(AmqpPort, RabbitManagementPort);

    /// <summary>A database on the shared PostgreSQL server, or on the one at <paramref name="port"/>.</summary>
    public static string PostgresConnectionString(string database, int? port = null) =>
        $"Host=127.0.0.1;Port={port ?? PostgresPort};Database={database};Username=postgres;Maximum Pool Size=200";

    static int Port(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var port) ? port : fallback;
}

/// <summary>Where one RabbitMQ broker listens: AMQP and the management API.</summary>
public sealed record BrokerPorts(int Amqp, int Management);
