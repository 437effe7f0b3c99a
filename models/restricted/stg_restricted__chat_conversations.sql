{#-
    The customer who started a conversation: the source author's display name ("Jane Smith")
    and email, when the author is a user or a lead (not an admin or the bot).
-#}
with

source as (
    select * from {{ source('chat', 'conversations') }}
),

renamed as (
    select
        record_key,
        lower({{ json_text('payload', '$.source.author.type') }}) as author_type,
        {{ json_text('payload', '$.source.author.name') }} as author_name,
        {{ json_text('payload', '$.source.author.email') }} as author_email,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

customer_authored as (
    select
        record_key,
        occurred_at,
        case when author_type in ('user', 'lead') then author_name end as author_name,
        case when author_type in ('user', 'lead') then author_email end as author_email
    from deduplicated
),

final as (
    select
        concat('chat__conversations:', record_key) as record_id,
        'chat__conversations' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        {{ normalize_name(full_name_part('author_name', 'first_word')) }} as first_name,
        {{ normalize_name(full_name_part('author_name', 'other_words')) }} as last_name,
        cast(null as date) as date_of_birth,
        cast(null as string) as address_line,
        cast(null as string) as postal_code,
        cast(null as string) as city,
        cast(null as string) as country_code,
        {{ normalize_email('author_email') }} as email,
        cast(null as string) as phone,
        cast(null as string) as secondary_phone
    from customer_authored
)

select * from final
