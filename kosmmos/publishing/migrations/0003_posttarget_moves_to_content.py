"""PostTarget moved to the content app (content 0003): the foreign keys follow it and the
model leaves this app's state; the table stays as it is."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0003_posttarget'),
        ('inbox', '0004_item_target_in_content'),
        ('publishing', '0002_alter_publishattempt_options_and_more'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='publishattempt',
                    name='target',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempt_rows', to='content.posttarget'),
                ),
                migrations.AlterField(
                    model_name='poststatssnapshot',
                    name='target',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='content.posttarget'),
                ),
                migrations.DeleteModel(
                    name='PostTarget',
                ),
            ],
            database_operations=[],
        ),
    ]
