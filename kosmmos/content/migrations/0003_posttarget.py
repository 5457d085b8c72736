"""PostTarget moves here from the publishing app: in the state only, its table stays
``publishing_posttarget`` (created there by publishing 0001), so no row moves."""

import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('publishing', '0002_alter_publishattempt_options_and_more'),
        ('accounts', '0002_workspace_brand'),
        ('channels', '0002_channelalert'),
        ('content', '0002_approvals_templates_imports'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PostTarget',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('status', models.CharField(choices=[('draft', 'Not scheduled'), ('scheduled', 'Scheduled'), ('queued', 'Queued'), ('publishing', 'Publishing'), ('reconciling', 'Checking the network'), ('published', 'Published'), ('needs_check', 'Needs a manual check'), ('failed', 'Failed'), ('cancelled', 'Cancelled'), ('deleted', 'Deleted from the network')], default='draft', max_length=16)),
                        ('publish_at', models.DateTimeField(blank=True, null=True)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('enqueued_at', models.DateTimeField(blank=True, null=True)),
                        ('lease_until', models.DateTimeField(blank=True, null=True)),
                        ('lease_owner', models.CharField(blank=True, max_length=100)),
                        ('checks', models.PositiveSmallIntegerField(default=0)),
                        ('external_id', models.CharField(blank=True, max_length=100)),
                        ('url', models.URLField(blank=True, max_length=500)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('sent_text', models.TextField(blank=True)),
                        ('next_stats_at', models.DateTimeField(blank=True, null=True)),
                        ('pending_action', models.CharField(blank=True, choices=[('', 'Nothing'), ('edit', 'Edit on the network'), ('delete', 'Delete from the network')], default='', max_length=8)),
                        ('action_due_at', models.DateTimeField(blank=True, null=True)),
                        ('action_version', models.PositiveIntegerField(default=0)),
                        ('action_attempts', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('channel', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='channels.channel')),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                        ('post', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='content.post')),
                    ],
                    options={
                        'db_table': 'publishing_posttarget',
                        'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='publishing__status_57aa78_idx'), models.Index(fields=['status', 'enqueued_at'], name='publishing__status_605aa1_idx'), models.Index(fields=['status', 'lease_until'], name='publishing__status_bef798_idx'), models.Index(fields=['lease_owner'], name='publishing__lease_o_56c084_idx'), models.Index(fields=['status', 'next_stats_at'], name='publishing__status_cf4a71_idx'), models.Index(fields=['pending_action', 'action_due_at'], name='publishing__pending_07cf2b_idx'), models.Index(fields=['organisation', 'channel', 'published_at'], name='publishing__organis_cb5964_idx')],
                        'constraints': [models.UniqueConstraint(fields=('post', 'channel'), name='one_target_per_channel')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
