/* tests/plugin/no_entry.c — a shared object that is not a memvirt plugin. */
int not_a_plugin(void);
int not_a_plugin(void)
{
	return 42;
}
